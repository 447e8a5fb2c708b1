"""``samna.unifirm.modules.events`` (samna 0.48.5 reference): ``DroppedEventsNum.num``, "the number
of events dropped by the IO module"; it carries no timestamp."""
from ..._struct import UINT32, I, struct

DroppedEventsNum = struct(__name__, "DroppedEventsNum", {"num": I(0, UINT32)})
