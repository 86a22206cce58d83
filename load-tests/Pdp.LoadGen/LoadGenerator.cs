using System.Net;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Pdp.LoadGen.Corpus;
using Pdp.LoadGen.Reporting;
using Pdp.LoadGen.Running;
using Pdp.LoadGen.Scenarios;

namespace Pdp.LoadGen;

/// <summary>Runs the scenarios an invocation names (the <c>--compare</c> one first) against one server and reports.</summary>
internal static class LoadGenerator
{
    public static async Task<RunReport> RunAsync(LoadGenOptions options, string commandLine, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (!LoadGenOptions.IsLoopback(options.Target))
        {
            // Parse already refuses; checked again here for callers that build options in code.
            throw new ArgumentException($"target {options.Target} is not a loopback address");
        }

        var order = (options.Compare is { } compare ? new[] { compare } : []).Concat(options.Scenarios).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var name in order)
        {
            if (!ScenarioCatalog.Exists(name))
            {
                throw new ArgumentException($"unknown scenario '{name}' (known: {string.Join(", ", ScenarioCatalog.Names)})");
            }
        }

        var data = PolicyData.Load(options.PolicyDirectory);

        // A hard bound on the whole run, whatever the server does: every phase plus a grace period each.
        var bound = TimeSpan.FromTicks(order.Length * (options.WarmUp + options.Duration + options.CallTimeout + TimeSpan.FromSeconds(10)).Ticks);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(bound);

        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        using var channel = GrpcChannel.ForAddress(options.Target, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        await WaitServingAsync(channel, options.Target, limit.Token).ConfigureAwait(false);

        var started = DateTimeOffset.UtcNow;
        var environment = new ScenarioEnvironment(channel, data, options);
        var results = new List<ScenarioResult>();
        foreach (var name in order)
        {
            var scenario = ScenarioCatalog.Create(name, environment);
            if (!options.Quiet)
            {
                var load = options.Mode == LoadMode.Closed ? $"{options.Concurrency} workers" : $"{options.Rate:0.#}/s";
                await log.WriteLineAsync($"{name}: {options.Mode.ToString().ToLowerInvariant()} loop, {load}, warm-up {options.WarmUp.TotalSeconds:0.#} s, measuring {options.Duration.TotalSeconds:0.#} s ...").ConfigureAwait(false);
            }

            results.Add(await LoadRunner.RunAsync(scenario, options, limit.Token).ConfigureAwait(false));
        }

        var comparisons = new List<Comparison>();
        if (options.Compare is { } baselineName && results.FirstOrDefault(r => r.Scenario == baselineName) is { } baseline)
        {
            foreach (var result in results.Where(r => r.Scenario != baselineName))
            {
                comparisons.Add(new Comparison(
                    result.Scenario,
                    baselineName,
                    Ratio(result.Unit.ThroughputPerSecond, baseline.Unit.ThroughputPerSecond),
                    Ratio(result.Unit.P50Ms, baseline.Unit.P50Ms),
                    Ratio(result.Unit.P99Ms, baseline.Unit.P99Ms)));
            }
        }

        return new RunReport(started, options.Target.ToString(), commandLine, MachineInfo.Current(), results, comparisons);
    }

    private static double Ratio(double a, double b) => b > 0 ? a / b : 0;

    /// <summary>Waits (up to 10 s) for the server to answer health SERVING, so a wrong address fails fast and clearly.</summary>
    private static async Task WaitServingAsync(GrpcChannel channel, Uri target, CancellationToken cancellationToken)
    {
        var client = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded)
            {
                last = e;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"no serving Pdp at {target} (start one with: dotnet run -c Release --project src/Pdp.Server)", last);
    }

    /// <summary>True for an address a load test may send to.</summary>
    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address);
}
