"""Teachers: finite networks trained on hard labels, and closed-form gradient-flow teachers.

Every teacher is a callable pytree, inputs (n, *features) -> logits, usable as the ``target``
of any sweep. A [`TeacherSnapshots`][kdntk.teachers.TeacherSnapshots] (one teacher at several stopping epochs) and a
[`FlowTeacher`][kdntk.teachers.FlowTeacher] with several stopping times are teacher stacks: their logits carry a leading
axis E, and a sweep evaluates every teacher of the stack on the same trials.
"""

from kdntk.teachers._flow import FlowTeacher as FlowTeacher
from kdntk.teachers._flow import flow_teacher as flow_teacher
from kdntk.teachers._trained import CPU as CPU
from kdntk.teachers._trained import PAPER as PAPER
from kdntk.teachers._trained import Teacher as Teacher
from kdntk.teachers._trained import TeacherConfig as TeacherConfig
from kdntk.teachers._trained import TeacherSnapshots as TeacherSnapshots
from kdntk.teachers._trained import hard_label_loss as hard_label_loss
from kdntk.teachers._trained import train_on_data as train_on_data
from kdntk.teachers._trained import train_teacher as train_teacher

__all__ = [
    "CPU",
    "FlowTeacher",
    "PAPER",
    "Teacher",
    "TeacherConfig",
    "TeacherSnapshots",
    "flow_teacher",
    "hard_label_loss",
    "train_on_data",
    "train_teacher",
]
