#!/usr/bin/env python3
"""Sums the outcomes in the TRX files of a test run and prints 'N passed, N failed[, N skipped]'.

Exit status: 0 when at least one test ran and none failed, 1 otherwise.
"""
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

def main(directory: str) -> int:
    passed = failed = skipped = 0
    files = sorted(glob.glob(f"{directory}/**/*.trx", recursive=True))
    for path in files:
        for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", NS):
            outcome = result.get("outcome")
            if outcome == "Passed":
                passed += 1
            elif outcome == "NotExecuted":
                skipped += 1
            else:
                failed += 1
                print(f"FAILED: {result.get('testName')} ({path.rsplit('/', 1)[-1]})", file=sys.stderr)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if files and passed > 0 and failed == 0 else 1

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "TestResults"))
