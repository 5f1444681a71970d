import Foundation

// Incoming-mail classification throughput (BENCHMARKS.md). A target of its own that needs only CadenceCore, so the
// release build that measures it does not wait for the HTTP stack.
//
//   CadenceClassifyBenchmark classify-corpus DIR ROUNDS
//   CadenceClassifyBenchmark classify-only DIR ROUNDS     (the classifier alone, for perf)
exit(ClassifyBenchmarks.main(CommandLine.arguments) ? 0 : 1)
