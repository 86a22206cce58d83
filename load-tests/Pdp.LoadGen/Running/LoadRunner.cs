using System.Diagnostics;
using Pdp.LoadGen.Scenarios;

namespace Pdp.LoadGen.Running;

/// <summary>
/// Drives one scenario: a warm-up (same load, not measured), then the measured phase.
/// <para>
/// Closed loop: <see cref="LoadGenOptions.Concurrency"/> workers, each starting its next unit when the previous one
/// finished. It finds the maximum throughput; its latencies are those of a saturated server.
/// </para>
/// <para>
/// Open loop: unit <c>i</c> is due at <c>t0 + i / rate</c> and is started then whether or not earlier ones have
/// finished; its latency is measured from that intended time, not from when it was actually sent, so a stall of
/// the server (or of this generator) shows in the percentiles instead of silently delaying later sends
/// (coordinated omission). The latency from the actual send is reported alongside as <c>service time</c>.
/// </para>
/// Every phase is bounded by time and by <see cref="LoadGenOptions.MaxRequests"/>, and ends by itself.
/// </summary>
internal static class LoadRunner
{
    public static async Task<ScenarioResult> RunAsync(ILoadScenario scenario, LoadGenOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        long index = 0;
        await scenario.PrepareAsync(cancellationToken).ConfigureAwait(false);
        if (options.WarmUp > TimeSpan.Zero)
        {
            var warm = new OperationStats(scenario.UnitName);
            await RunPhaseAsync(scenario, options, options.WarmUp, warm, new OperationStats("warm-up"), () => index++, cancellationToken).ConfigureAwait(false);
            foreach (var sub in scenario.SubOperations)
            {
                // Sub-operation rows restart with the measured phase.
                sub.Reset();
            }
        }

        var unit = new OperationStats(scenario.UnitName);
        var service = options.Mode == LoadMode.Open ? new OperationStats(scenario.UnitName + " (service time)") : null;
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        await using var sampler = options.ServerPid is { } pid ? new ProcessSampler(pid, TimeSpan.FromMilliseconds(200)) : null;
        var started = Stopwatch.GetTimestamp();
        var phase = await RunPhaseAsync(scenario, options, options.Duration, unit, service ?? new OperationStats("unused"), () => index++, cancellationToken).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        double? serverCpu = sampler?.CpuSecondsUsed;
        if (sampler is not null)
        {
            await sampler.DisposeAsync().ConfigureAwait(false);
        }

        var rows = new List<OperationResult> { Summarise(unit, seconds) };
        rows.AddRange(scenario.SubOperations.Select(s => Summarise(s, seconds)));
        return new ScenarioResult(
            scenario.Name,
            scenario.Description,
            options.Mode,
            options.Mode == LoadMode.Closed ? $"{options.Concurrency} workers" : $"{options.Rate:0.#}/s",
            seconds,
            rows,
            service is null ? null : Summarise(service, seconds),
            phase.MaxInFlight,
            phase.AbortReason is not null,
            phase.AbortReason,
            sampler?.MaxRssMegabytes,
            serverCpu,
            (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds);
    }

    public static OperationResult Summarise(OperationStats stats, double seconds)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var h = stats.Histogram;
        double Ms(double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;
        return new OperationResult(
            stats.Name,
            stats.Count,
            stats.ErrorCount,
            stats.Errors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            seconds > 0 ? stats.Count / seconds : 0,
            Ms(50),
            Ms(90),
            Ms(99),
            Ms(99.9),
            h.TotalCount == 0 ? 0 : HdrHistogram.HistogramExtensions.GetMaxValue(h) / 1000.0,
            h.TotalCount == 0 ? 0 : HdrHistogram.HistogramExtensions.GetMean(h) / 1000.0);
    }

    private sealed record PhaseOutcome(long MaxInFlight, string? AbortReason);

    private static Task<PhaseOutcome> RunPhaseAsync(ILoadScenario scenario, LoadGenOptions options, TimeSpan duration, OperationStats unit, OperationStats service, Func<long> nextIndex, CancellationToken cancellationToken) =>
        options.Mode == LoadMode.Closed
            ? ClosedAsync(scenario, options, duration, unit, nextIndex, cancellationToken)
            : OpenAsync(scenario, options, duration, unit, service, nextIndex, cancellationToken);

    private static async Task<PhaseOutcome> ClosedAsync(ILoadScenario scenario, LoadGenOptions options, TimeSpan duration, OperationStats unit, Func<long> nextIndex, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long issued = 0;
        var gate = new Lock();
        long Next()
        {
            lock (gate)
            {
                return nextIndex();
            }
        }

        async Task WorkerAsync()
        {
            while (!cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref issued) <= options.MaxRequests)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await scenario.RunUnitAsync(Next(), cancellationToken).ConfigureAwait(false);
                    unit.Record(started);
                }
                catch (Exception e) when (UnexpectedVerdictException.IsUnitFailure(e))
                {
                    unit.RecordError(e);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(WorkerAsync, CancellationToken.None))).ConfigureAwait(false);
        return new PhaseOutcome(options.Concurrency, null);
    }

    private static async Task<PhaseOutcome> OpenAsync(ILoadScenario scenario, LoadGenOptions options, TimeSpan duration, OperationStats unit, OperationStats service, Func<long> nextIndex, CancellationToken cancellationToken)
    {
        var total = (long)Math.Min(options.MaxRequests, Math.Ceiling(duration.TotalSeconds * options.Rate));
        var ticksPerUnit = Stopwatch.Frequency / options.Rate;
        var start = Stopwatch.GetTimestamp();
        var running = new List<Task>();
        long inFlight = 0;
        long maxInFlight = 0;
        string? abort = null;

        async Task UnitAsync(long index, long intended)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                await scenario.RunUnitAsync(index, cancellationToken).ConfigureAwait(false);
                // From the intended start (never earlier than the actual send): no coordinated omission.
                unit.Record(Math.Max(intended, sent));
                service.Record(sent);
            }
            catch (Exception e) when (UnexpectedVerdictException.IsUnitFailure(e))
            {
                unit.RecordError(e);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }

        for (long i = 0; i < total && !cancellationToken.IsCancellationRequested; i++)
        {
            var intended = start + (long)(i * ticksPerUnit);
            var wait = intended - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                // Timers are about a millisecond coarse: wake a little early; units due within the next 200 µs go now.
                var sleep = TimeSpan.FromSeconds((double)(wait - (Stopwatch.Frequency / 5000)) / Stopwatch.Frequency);
                await Task.Delay(sleep, cancellationToken).ConfigureAwait(false);
            }

            var now = Interlocked.Increment(ref inFlight);
            maxInFlight = Math.Max(maxInFlight, now);
            if (now > options.MaxInFlight)
            {
                abort = $"more than {options.MaxInFlight} calls outstanding at {options.Rate:0.#}/s: the server cannot keep up with this rate";
                Interlocked.Decrement(ref inFlight);
                break;
            }

            running.Add(UnitAsync(nextIndex(), intended));
            if (running.Count >= 4096)
            {
                running.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        return new PhaseOutcome(maxInFlight, abort);
    }
}
