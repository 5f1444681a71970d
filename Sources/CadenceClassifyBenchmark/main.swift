import Foundation

// Incoming-mail classification throughput (BENCHMARKS.md). A target of its own that needs only CadenceCore, so the
// release build that measures it does not wait for the HTTP stack.
//
//   CadenceClassifyBenchmark classify-corpus DIR ROUNDS
exit(ClassifyBenchmarks.main(CommandLine.arguments) ? 0 : 1)
