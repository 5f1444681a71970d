#!/usr/bin/env bash
# Fails (non-zero) when a Swift file is not formatted as .swift-format says, listing each finding as
# file:line:column; scripts/format.sh fixes all but the few rules that need a person (e.g. a forEach to a for loop).
#
# .swift-format follows the code's existing style: 4-space indentation, lines up to 200 columns (99% of lines are
# under 180, and most longer ones are messages and test data that read better whole), and two default rules off
# because the code uses them on purpose: DoNotUseSemicolons (`{ report.unknown += 1; return }` on one line) and
# OneVariableDeclarationPerLine (`var killed = 0, accepted = 0` for counters that belong together).
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --parallel --configuration .swift-format --recursive Sources Tests Package.swift
