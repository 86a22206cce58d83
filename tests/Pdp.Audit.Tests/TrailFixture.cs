using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>
/// A fresh temp directory per test (xunit makes a new test-class instance per test) and the helpers every test
/// class uses. Real files, real fsync: nothing here is mocked.
/// </summary>
public abstract class TrailFixture : IDisposable
{
    /// <summary>Upper bound for every await: a hang fails the test instead of the run.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("pdp-audit-");

    protected string Dir => _directory.FullName;

    protected string ActivePath => Path.Combine(Dir, "audit.jsonl");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected AuditTrailOptions Options(long maxFileBytes = 64L * 1024 * 1024, AuditDurability durability = AuditDurability.Durable) =>
        new() { Path = ActivePath, MaxFileBytes = maxFileBytes, Durability = durability };

    protected static Task<AuditTrail> Open(AuditTrailOptions options) =>
        AuditTrail.OpenAsync(options, cancellationToken: Ct).WaitAsync(Timeout, Ct);

    protected static JsonObject Payload(int n) => new()
    {
        ["n"] = n,
        ["request"] = new JsonObject { ["subject"] = $"user-{n}", ["action"] = "read", ["score"] = 0.5 + n },
        ["tags"] = new JsonArray("a", "b"),
    };

    /// <summary>Appends <paramref name="count"/> records one after another and returns their receipts.</summary>
    protected static async Task<List<AuditReceipt>> AppendMany(AuditTrail trail, int count, int first = 1)
    {
        var receipts = new List<AuditReceipt>(count);
        for (var i = first; i < first + count; i++)
        {
            receipts.Add(await trail.AppendAsync("decision", Payload(i), Ct).AsTask().WaitAsync(Timeout, Ct));
        }

        return receipts;
    }

    /// <summary>Writes a fresh trail of <paramref name="count"/> records and closes it.</summary>
    protected async Task WriteTrail(int count)
    {
        var trail = await Open(Options());
        await AppendMany(trail, count);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
    }

    protected static string[] ReadLines(string path) =>
        File.ReadAllText(path, Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    protected static void WriteLines(string path, IEnumerable<string> lines) =>
        File.WriteAllText(path, string.Concat(lines.Select(static l => l + "\n")), new UTF8Encoding(false));

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory must not fail a test.
        }

        GC.SuppressFinalize(this);
    }
}
