#!/bin/sh
# The browser tests' fixture (run by ctest before them): installs the
# locked playwright-core from npm into the build tree (DEST), once per
# lockfile, and checks that node, npm and Chromium are there. Fails loudly:
# a CI machine without them must not pass by skipping.
set -eu
SRC=$1
DEST=$2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "browser tests: $tool is not installed (deploy/packages.txt: nodejs, npm)" >&2
		exit 1
	fi
done
if [ ! -x "$CHROMIUM" ]; then
	echo "browser tests: $CHROMIUM is missing (deploy/packages.txt: chromium)" >&2
	exit 1
fi
mkdir -p "$DEST"
if ! cmp -s "$SRC/package-lock.json" "$DEST/package-lock.json" ||
   [ ! -d "$DEST/node_modules/playwright-core" ]; then
	cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
	# Nothing but the locked package; playwright-core downloads no browser.
	(cd "$DEST" && npm ci --no-audit --no-fund --ignore-scripts)
fi
node -e "require('$DEST/node_modules/playwright-core')" ||
	{ echo "browser tests: playwright-core does not load from $DEST" >&2; exit 1; }
echo "browser tests: playwright-core $(node -p "require('$DEST/node_modules/playwright-core/package.json').version"), $("$CHROMIUM" --version 2>/dev/null)"
