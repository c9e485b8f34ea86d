"""Logic behind labforge's Ansible filter plugins.

One module per topic; the ``filter_plugins/labforge_*.py`` files are thin shims
that import from here and translate :class:`LabforgeFilterError` into
``AnsibleFilterError``. Nothing in this package needs Ansible, so pytest
tests it directly (``tests/unit``).

Plugin-path scan
----------------
Ansible treats every ``*.py`` file one or two directory levels below a
*configured* filter plugin path (``ANSIBLE_FILTER_PLUGINS`` or ``filter_plugins``
in ansible.cfg) as a filter plugin file, whether or not the directory has an
``__init__.py`` (that file itself is skipped); only
``filter_plugins/`` directories found next to a playbook or in a role are not
searched recursively. So when the project configures ``filter_plugins``, Ansible
executes each module of this package on its own, outside the package, and warns
about any file that fails to load or lacks a ``FilterModule``. Every module here
therefore

* imports its siblings in a ``try`` block that tolerates running outside the
  package (the functions are never called in that case), and
* ends with an empty ``FilterModule`` class.

Both are only there to keep that scan silent; ``tests/unit/test_filter_ansible.py``
(a real ansible-playbook run) and ``tests/unit/test_filter_plugin_shims.py`` check
that it is.
"""

from __future__ import annotations

from .errors import LabforgeFilterError

__all__ = ["LabforgeFilterError"]
