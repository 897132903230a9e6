"""The Clockify-style surface's behaviour: one module per area of the API, registering into
``behaviour``; ``shared`` holds what the areas share (membership, references, running
timers, rates in the workspace currency, name and id filters)."""

from understudy.mock.behaviour import Behaviour

behaviour = Behaviour("clockify")
