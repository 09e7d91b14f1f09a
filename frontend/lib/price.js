// How a course's price is shown: the list price, and the negotiated one when the policy let
// the API give it to this viewer (rule 10). Loyalty discounts never show here (rule 11).
import { h } from "./dom.js";
import { formatMoney, translator } from "./i18n.js";

const t = translator({
  fr: {
    perPerson: "{price} HT par personne",
    agreement: "Tarif accord-cadre (−{percent} %), au lieu de {list}",
  },
  en: {
    perPerson: "{price} excl. VAT per person",
    agreement: "Framework agreement price (−{percent}%), instead of {list}",
  },
});

export function priceBlock(price) {
  const discounted = price.discountSource === "FRAMEWORK_AGREEMENT" && price.netPrice !== price.listPrice;
  return h(
    "div",
    { class: "price-block" },
    h("p", { class: "price" }, t("perPerson", { price: formatMoney(price.netPrice) })),
    discounted
      ? h(
          "p",
          { class: "hint" },
          t("agreement", { percent: Number(price.discountPercent), list: formatMoney(price.listPrice) }),
        )
      : null,
  );
}
