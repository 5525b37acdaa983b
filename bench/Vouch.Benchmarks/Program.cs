using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Vouch.Benchmarks.TokenBenchmarks).Assembly).Run(args);
