"""Turning bank Markdown into what a terminal can show: math as Unicode (`math`, which imports
pylatexenc), text made safe to print (`safe`), CJK-aware line breaking (`wrap`) and the laid-out
document (`terminal`, which imports Rich and markdown-it). Import the module you need: the
package itself imports none of them, so `quiz due` printing safe text loads no LaTeX parser."""
