using BenchmarkDotNet.Running;
using Vouch.Benchmarks.Load;

// "sessions ...": the setup and login measurement of bench/http.sh; anything else: BenchmarkDotNet.
if (args is ["sessions", .. var rest]) return await SessionSetup.RunAsync(rest);
BenchmarkSwitcher.FromAssembly(typeof(Vouch.Benchmarks.TokenBenchmarks).Assembly).Run(args);
return 0;
