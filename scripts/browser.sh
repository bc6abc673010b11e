# Sourced by scripts/test: what the browser test (tests/graphiql.rs) needs.
# Debian's Chromium, installed with the OS package manager when it is
# missing, and playwright-core at the version tests/browser/package-lock.json
# pins, installed with npm into tests/browser/node_modules.

install_chromium() {
    echo "Chromium not found; installing Debian's chromium with the OS package manager." >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "No apt-get: install Chromium at /usr/bin/chromium (or set PRASME_CHROMIUM)." >&2
        return 1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null 2>&1 \
        || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; }
}

export PRASME_CHROMIUM="${PRASME_CHROMIUM:-/usr/bin/chromium}"
[ -x "$PRASME_CHROMIUM" ] || install_chromium
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --silent --no-audit --no-fund)
fi
