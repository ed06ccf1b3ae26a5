# SPDX-License-Identifier: EUPL-1.2
"""WHAT exists: the layer catalogue and the readers that turn real files into clean batches."""
