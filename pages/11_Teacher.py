"""Teacher's view: every workspace's runs and lesson checks, read-only, behind the teacher key."""

from __future__ import annotations

import datetime
import hmac

import pandas as pd
import streamlit as st

import ui
from genodash.lessons import check_rows, read_results, workspace_folders
from genodash.limits import teacher_key
from genodash.train.runs import list_runs, runs_table
from ui import lessons as lesson_ui
from ui.state import RUNS_ROOT

ABOUT = """
For the teacher of a class: every workspace on this server — one per student's browser —
with its trained runs and where it stands in the lessons. **In range** means the student's
number matched the lesson; **outside** means they got a different result (often other
settings); **not yet** means they have not opened that step. Nothing here can be changed or
deleted, and no link hands a workspace over: workspaces are named by the first four
characters of their `ws=` token, which each student sees in their own address.

The page opens only with the deployment's teacher key (`GENODASH_TEACHER_KEY`).
"""
HOW_TO = """
No teacher key is set for this server, so this page is closed. Start the server with a key
of your choice in the environment, for example

```
GENODASH_TEACHER_KEY='a long secret phrase' streamlit run app.py
```

then open this page again and type the key.
"""


def unlocked(expected: str) -> bool:
    """Ask for the teacher key; True once the right one is typed."""
    given = st.text_input("Teacher key", type="password", key="teacher-key")
    if not given:
        return False
    if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return True
    st.error("That is not the teacher key of this server.", icon=":material/lock:")
    return False


def label(folder: object) -> str:
    """A workspace's short name: the first four characters of its token."""
    return f"{folder.name[:4]}…"


def class_summary(folders: list, lessons: list) -> pd.DataFrame:
    """One row per workspace: runs, checks in range, outside, not yet, last change."""
    rows = []
    for folder in folders:
        checks = pd.DataFrame(check_rows(lessons, read_results(folder)))
        counts = checks["result"].value_counts() if len(checks) else pd.Series(dtype=int)
        changed = datetime.datetime.fromtimestamp(folder.stat().st_mtime, datetime.UTC)
        rows.append(
            {
                "Workspace": label(folder),
                "Runs": len(list_runs(folder)),
                "Checks in range": int(counts.get("in range", 0)),
                "Outside": int(counts.get("outside", 0)),
                "Not yet": int(counts.get("not yet", 0)),
                "Last change (UTC)": changed.strftime("%Y-%m-%d %H:%M"),
            }
        )
    return pd.DataFrame(rows)


def workspace_detail(folder: object, lessons: list) -> None:
    """A workspace's runs (as on the Runs page) and its lesson checks."""
    runs = list_runs(folder)
    if runs:
        ui.runs_dataframe(runs_table(runs))
    else:
        st.caption("No runs yet.")
    checks = [
        row for row in check_rows(lessons, read_results(folder)) if row["result"] != "not yet"
    ]
    if checks:
        st.dataframe(pd.DataFrame(checks), hide_index=True, width="stretch")
    else:
        st.caption("No lesson checks yet.")


with ui.page("Teacher's view", ":material/co_present:", ABOUT):
    expected = teacher_key()
    if expected is None:
        st.info(HOW_TO, icon=":material/key:")
    elif unlocked(expected):
        lessons, _ = lesson_ui.available_lessons()
        folders = workspace_folders(RUNS_ROOT)
        if not folders:
            st.info("No workspace has been opened on this server yet.", icon=":material/info:")
        else:
            st.subheader(f"The class: {len(folders)} workspaces")
            st.dataframe(class_summary(folders, lessons), hide_index=True, width="stretch")
            for folder in folders:
                with st.expander(f"Workspace {label(folder)}", icon=":material/person:"):
                    workspace_detail(folder, lessons)
