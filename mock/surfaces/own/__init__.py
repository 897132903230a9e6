"""The behaviour of a team's own spec (``understudy serve PATH``): operations no collection
backs answer their example (``understudy.infer`` declares ``handler: examples``)."""

from understudy.mock.behaviour import Behaviour

behaviour = Behaviour("own")
