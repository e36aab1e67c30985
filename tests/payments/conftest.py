"""Plans and payments produce letters: the letters' sandbox, scope and eager tasks apply."""

from tests.notices.conftest import _letters_sandbox, eager_tasks, scoped  # noqa: F401
