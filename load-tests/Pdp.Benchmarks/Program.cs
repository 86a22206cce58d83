using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process: BenchmarkDotNet's usual per-benchmark rebuild of this solution (analyzers, warnings as errors) takes
// longer than its two-minute build timeout on a two-core machine. The benchmarks run in this Release process instead.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .WithArtifactsPath(Path.Combine("load-tests", "results", "benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(Pdp.Benchmarks.BenchmarkInputs).Assembly).Run(args, config);
