using System.Globalization;

namespace Pdp.LoadGen.Running;

/// <summary>
/// Samples another process's resident memory (<c>VmRSS</c>) and CPU time (<c>utime + stime</c>) from
/// <c>/proc</c> while a scenario runs: the server's memory under load and its CPU per call. Linux only; elsewhere
/// (or for a process that is gone) it reports nothing.
/// </summary>
internal sealed class ProcessSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly double _cpuStart;
    private long _maxRssBytes;
    private long _lastRssBytes;
    private int _disposed;

    public ProcessSampler(int pid, TimeSpan interval)
    {
        _pid = pid;
        _cpuStart = CpuSeconds(pid) ?? double.NaN;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            do
            {
                Sample();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        });
    }

    public double? MaxRssMegabytes => _maxRssBytes > 0 ? _maxRssBytes / 1048576.0 : null;

    public double? LastRssMegabytes => _lastRssBytes > 0 ? _lastRssBytes / 1048576.0 : null;

    /// <summary>CPU seconds the process used since sampling started.</summary>
    public double? CpuSecondsUsed => CpuSeconds(_pid) is { } now && !double.IsNaN(_cpuStart) ? now - _cpuStart : null;

    public static long? RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>utime + stime of the process in seconds (clock ticks of 1/100 s, as Linux reports them to user space).</summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Sample();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private void Sample()
    {
        if (RssBytes(_pid) is { } rss)
        {
            _lastRssBytes = rss;
            if (rss > _maxRssBytes)
            {
                _maxRssBytes = rss;
            }
        }
    }
}
