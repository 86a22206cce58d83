using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (args.Length > 1 && args[0] == "probe" && args[1] == "startup")
{
    Pdp.Benchmarks.Probe.Startup(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100);
    return;
}

if (args.Length > 1 && args[0] == "probe" && args[1] == "stream")
{
    Pdp.Benchmarks.Probe.Stream(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50_000, args.Contains("--cacheable"));
    return;
}

if (args.Length > 0 && args[0] == "probe")
{
    Pdp.Benchmarks.Probe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20, args.Contains("--trivial"));
    return;
}

// In-process: BenchmarkDotNet's usual per-benchmark rebuild of this solution (analyzers, warnings as errors) takes
// longer than its two-minute build timeout on a two-core machine. The benchmarks run in this Release process instead.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .WithArtifactsPath(Path.Combine("load-tests", "results", "benchmarks"));
BenchmarkSwitcher.FromAssembly(typeof(Pdp.Benchmarks.BenchmarkInputs).Assembly).Run(args, config);
