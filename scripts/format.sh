#!/usr/bin/env bash
# Formats every Swift file in place with the toolchain's `swift format` and the checked-in .swift-format.
# Run it before committing; scripts/format-check.sh (which CI runs) then finds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format format --in-place --parallel --configuration .swift-format --recursive Sources Tests Package.swift
