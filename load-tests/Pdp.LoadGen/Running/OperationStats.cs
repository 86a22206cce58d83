using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using HdrHistogram;

namespace Pdp.LoadGen.Running;

/// <summary>
/// Latencies (HdrHistogram, microseconds, 3 significant digits, up to 60 s) and errors of one operation,
/// safe to record from any number of threads.
/// </summary>
internal sealed class OperationStats(string name)
{
    public const long HighestMicroseconds = 60_000_000;

    private readonly LongConcurrentHistogram _latency = new(1, HighestMicroseconds, 3);
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _errorCount;

    public string Name { get; } = name;

    public long Count => _latency.TotalCount;

    public long ErrorCount => Interlocked.Read(ref _errorCount);

    public IReadOnlyDictionary<string, long> Errors => _errors;

    public HistogramBase Histogram => _latency;

    /// <summary>Records a success that took from <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp) until now.</summary>
    public void Record(long startTimestamp) => RecordMicroseconds(Stopwatch.GetElapsedTime(startTimestamp).Ticks / 10);

    public void RecordMicroseconds(long microseconds) => _latency.RecordValue(Math.Clamp(microseconds, 1, HighestMicroseconds));

    /// <summary>Forgets everything recorded (after a warm-up).</summary>
    public void Reset()
    {
        _latency.Reset();
        _errors.Clear();
        Interlocked.Exchange(ref _errorCount, 0);
    }

    public void RecordError(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var kind = error switch
        {
            RpcException rpc => rpc.StatusCode.ToString(),
            OperationCanceledException => "Cancelled",
            _ => error.GetType().Name,
        };
        _errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        Interlocked.Increment(ref _errorCount);
    }

    /// <summary>Times one call into this operation's histogram, or counts its failure and rethrows it.</summary>
    public async Task<T> TimeAsync<T>(Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await call().ConfigureAwait(false);
            Record(started);
            return result;
        }
        catch (Exception e) when (UnexpectedVerdictException.IsUnitFailure(e))
        {
            RecordError(e);
            throw;
        }
    }
}
