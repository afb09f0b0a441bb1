"""Print how long nbval spent on each notebook, from the JUnit report of `make test`.

Usage: .venv/bin/python tools/notebook_minutes.py [build/test-report.xml]

`make test` writes the report. The sums (one run of each notebook, cell by cell,
kernel start-up included) are the minutes in README's notebook table.
"""

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict

report = sys.argv[1] if len(sys.argv) > 1 else "build/test-report.xml"
seconds = defaultdict(float)
for case in ET.parse(report).iter("testcase"):
    notebook = case.get("classname", "")
    if notebook.endswith(".ipynb"):
        seconds[notebook.removeprefix("notebooks.")] += float(case.get("time", 0))
for name in sorted(seconds):
    print(f"{name:<45} {seconds[name] / 60:5.1f} min")
print(f"{'all notebooks':<45} {sum(seconds.values()) / 60:5.1f} min")
