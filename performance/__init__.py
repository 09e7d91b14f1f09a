"""The performance machinery: what makes long answers cheap and keeps short requests fast while
long ones run. What each module buys, what it relies on and how to switch it off: README.md here.
"""
