"""Every component id of the app, in one registry (kebab-case, page-prefixed). No string ids elsewhere."""

from enum import StrEnum


class Id(StrEnum):
    # shell and shared filters
    URL = "shell-url"
    LANG = "shell-lang"
    NAV = "shell-nav"
    SAMPLE_BADGE = "shell-sample-badge"
    PERIOD = "filter-period"
    COMPARISON = "filter-comparison"
    ORG = "filter-org"
    TYPES = "filter-types"
    CHIP = "filter-chip"
    CHIP_CLEAR = "filter-chip-clear"
    TARGETS_OPEN = "targets-open"
    TARGETS_MODAL = "targets-modal"
    TARGETS_INPUT = "targets-input"  # pattern-matched: {"type": TARGETS_INPUT, "index": URL key}
    TARGETS_APPLY = "targets-apply"
    TARGETS_RESET = "targets-reset"
    # overview
    OVW_CARDS = "ovw-cards"
    OVW_COMPOSITION = "ovw-composition"
    OVW_TREND = "ovw-trend"
    OVW_NARRATIVE = "ovw-narrative"
    OVW_COPY = "ovw-copy"
    # organizations
    ORG_TREE = "org-tree"
    ORG_GRID = "org-grid"
    ORG_SEARCH = "org-search"
    # data
    DATA_UPLOAD = "data-upload"
    DATA_REPORT = "data-report"
    DATA_CONFIRM = "data-confirm"
    DATA_CREATE = "data-create-orgs"
    DATA_ACCEPT = "data-accept-warnings"
    DATA_PENDING = "data-pending"
    DATA_RESULT = "data-result"
    DATA_BATCHES = "data-batches"
    DATA_COMPLETENESS = "data-completeness"
    DATA_ROLLBACK_MODAL = "data-rollback-modal"
    DATA_ROLLBACK_TEXT = "data-rollback-text"
    DATA_ROLLBACK_YES = "data-rollback-yes"
    DATA_ROLLBACK_NO = "data-rollback-no"
    DATA_ROLLBACK_TARGET = "data-rollback-target"
    DATA_ROLLBACK_DONE = "data-rollback-done"
