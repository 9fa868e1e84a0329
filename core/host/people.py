"""People across plugins: the small reference a plugin keeps of a person another plugin owns
(see ``jiangxin_people_search`` and ``jiangxin_people_get`` in core.host.hookspecs)."""

from __future__ import annotations

from dataclasses import dataclass

DECEASED = "去世"


@dataclass(frozen=True)
class PersonRef:
    """A person as another plugin may see them: never the full ID number or phone.

    ``status`` is the roster's 人员状态 (在职, 退休, 去世, 转出); ``id_number_masked`` is
    shown as 330182********123X; ``honour`` is the person's highest honour (None: none).
    ``source`` names the plugin that answered (core fills it in).
    """

    id: int
    name: str
    county_code: str
    status: str = "在职"
    id_number_masked: str = ""
    honour: str | None = None
    source: str = ""

    @property
    def deceased(self) -> bool:
        return self.status == DECEASED
