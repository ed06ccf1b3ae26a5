# SPDX-License-Identifier: EUPL-1.2
"""WHAT exists: the layer catalogue (``config/layers.yml``), the routing rules
(``config/responsibility.yml``), the readers that turn real files into clean batches, and the
reader of records to link and of the reference tables."""
