# SPDX-License-Identifier: EUPL-1.2
"""The ``strata`` command line: one module per command."""
