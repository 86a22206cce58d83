using System.Globalization;
using System.Net;

namespace Pdp.LoadGen;

/// <summary>How the generator drives load: closed loop (N workers, each sends its next call when the last one answered) or open loop (calls at a fixed rate, on schedule, whatever the server does).</summary>
public enum LoadMode
{
    Closed,
    Open,
}

/// <summary>
/// Everything one run needs, from the command line. Every run is bounded: a duration (at most
/// <see cref="MaxDurationSeconds"/>), a warm-up, and a request count, and it only targets loopback.
/// </summary>
public sealed class LoadGenOptions
{
    public const double MaxDurationSeconds = 3600;
    public const int MaxConcurrency = 4096;
    public const double MaxRate = 1_000_000;

    public Uri Target { get; set; } = new("http://127.0.0.1:50051");

    public IReadOnlyList<string> Scenarios { get; set; } = ["mixed"];

    public LoadMode Mode { get; set; } = LoadMode.Closed;

    /// <summary>Workers in closed-loop mode.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>Scheduled calls per second in open-loop mode.</summary>
    public double Rate { get; set; } = 500;

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan WarmUp { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Upper bound of measured units per scenario (and of warm-up units), whatever the duration.</summary>
    public long MaxRequests { get; set; } = 5_000_000;

    /// <summary>Open loop only: more calls outstanding than this aborts the scenario (the server cannot keep up).</summary>
    public int MaxInFlight { get; set; } = 10_000;

    /// <summary>Scenario to run first with the same mode and load, for the throughput ratio (<c>--compare baseline</c>).</summary>
    public string? Compare { get; set; }

    public string OutputDirectory { get; set; } = Path.Combine("load-tests", "results");

    /// <summary>Policy directory the inputs are drawn from (test cases, action catalog, groups, agents).</summary>
    public string PolicyDirectory { get; set; } = "policies";

    public int Seed { get; set; } = 1;

    /// <summary>Server process to sample (resident memory, CPU time) from /proc while the load runs.</summary>
    public int? ServerPid { get; set; }

    /// <summary>Deadline of each call.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Print nothing but the table.</summary>
    public bool Quiet { get; set; }

    public const string Usage = """
        pdp-loadgen: load for a Pdp server on loopback; prints a table and writes JSON and Markdown reports.

          --target URL          server address, loopback only (default http://127.0.0.1:50051)
          --scenario NAMES      comma-separated: baseline, mixed, review (default mixed)
          --mode closed|open    closed: N workers flat out; open: fixed rate, latency from the intended send time
          --concurrency N       closed-loop workers (default 32)
          --rate R              open-loop calls per second (default 500)
          --duration SECONDS    measured time per scenario (default 10, at most 3600)
          --warmup SECONDS      unmeasured load before each scenario (default 3)
          --max-requests N      cap on measured calls per scenario (default 5000000)
          --compare SCENARIO    run SCENARIO first under the same load and report the throughput ratio (e.g. baseline)
          --out DIR             report directory (default load-tests/results)
          --policies DIR        policy directory the inputs come from (default policies)
          --server-pid PID      sample the server's resident memory and CPU time from /proc
          --seed N              input sequence seed (default 1)
          --timeout SECONDS     deadline of each call (default 10)
          --quiet               print only the table
        """;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static LoadGenOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new LoadGenOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--target":
                    options.Target = ParseTarget(Value());
                    break;
                case "--scenario":
                case "--scenarios":
                    options.Scenarios = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--mode":
                    options.Mode = Value() switch
                    {
                        "closed" => LoadMode.Closed,
                        "open" => LoadMode.Open,
                        var other => throw new ArgumentException($"--mode must be closed or open (was '{other}')"),
                    };
                    break;
                case "--concurrency":
                    options.Concurrency = (int)Number(name, Value(), 1, MaxConcurrency);
                    break;
                case "--rate":
                    options.Rate = Number(name, Value(), 0.1, MaxRate);
                    break;
                case "--duration":
                    options.Duration = TimeSpan.FromSeconds(Number(name, Value(), 0.1, MaxDurationSeconds));
                    break;
                case "--warmup":
                    options.WarmUp = TimeSpan.FromSeconds(Number(name, Value(), 0, MaxDurationSeconds));
                    break;
                case "--max-requests":
                    options.MaxRequests = (long)Number(name, Value(), 1, 1e9);
                    break;
                case "--max-in-flight":
                    options.MaxInFlight = (int)Number(name, Value(), 1, 1_000_000);
                    break;
                case "--compare":
                    options.Compare = Value();
                    break;
                case "--out":
                    options.OutputDirectory = Value();
                    break;
                case "--policies":
                    options.PolicyDirectory = Value();
                    break;
                case "--server-pid":
                    options.ServerPid = (int)Number(name, Value(), 1, int.MaxValue);
                    break;
                case "--seed":
                    options.Seed = (int)Number(name, Value(), 0, int.MaxValue);
                    break;
                case "--timeout":
                    options.CallTimeout = TimeSpan.FromSeconds(Number(name, Value(), 0.01, 600));
                    break;
                case "--quiet":
                    options.Quiet = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{name}'");
            }
        }

        if (options.Scenarios.Count == 0)
        {
            throw new ArgumentException("--scenario names no scenario");
        }

        return options;
    }

    /// <summary>
    /// The target as a URI, refused unless it is http(s) to a loopback address (127.0.0.0/8, [::1] or
    /// <c>localhost</c>). Host names other than <c>localhost</c> are refused without being resolved.
    /// </summary>
    public static Uri ParseTarget(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"--target must be an http:// URL such as http://127.0.0.1:50051 (was '{text}')");
        }

        if (!IsLoopback(uri))
        {
            throw new ArgumentException($"--target {uri.Host} is not a loopback address: pdp-loadgen only sends to 127.0.0.0/8, [::1] or localhost");
        }

        return uri;
    }

    public static bool IsLoopback(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    private static double Number(string name, string text, double min, double max)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < min || value > max)
        {
            throw new ArgumentException($"{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)} (was '{text}')");
        }

        return value;
    }
}
