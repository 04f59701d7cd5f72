"""alianza: nodos nacionales que guardan sus propios registros y comparten bajo reglas.

Each country and agency runs its own node; every record carries the rules under which it
may be used (handling code, grade, purpose, legal basis, scope, review date), every version
is signed by the node, and every act goes into a hash-chained audit log.
"""

__version__ = "0.1.0"
