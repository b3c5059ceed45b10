// Wrapper module: builds promtool (Prometheus' rule and metrics checker) for tests (see test/promtool/build.sh).
module schedule-operator.io/test/promtool

go 1.26.7

require github.com/prometheus/prometheus v0.316.0
