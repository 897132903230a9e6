"""The tracker surface's behaviour (tracker-log-time-entry.txt)."""

from understudy.mock.behaviour import Behaviour

behaviour = Behaviour("tracker")
