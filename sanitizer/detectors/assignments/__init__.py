"""`secret_assignment`: a value assigned to a secret-sounding name, in any syntax.

Only the value is replaced, so ``DB_PASSWORD=[SECRET]`` still says what was there.

Layout: `names` says which names are secret, `values` where a value ends and which values
are not secrets, `syntaxes` how a name is given its value, `commands` the passwords given
without a name (client command lines, SQL), and `finder` puts them together as the
`secret_assignment` detector. Each module lists the choices made where the right answer is
not obvious.
"""

from sanitizer.detectors.assignments.finder import DETECTORS

__all__ = ["DETECTORS"]
