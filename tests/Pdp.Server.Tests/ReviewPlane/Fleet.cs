using System.Diagnostics;
using Grpc.Core;
using Npgsql;
using Pdp.Contracts.V1;
using Pdp.TestSupport;

namespace Pdp.Server.Tests.ReviewPlane;

/// <summary>
/// Several real server processes sharing one review database (a fresh one per fleet), each with its own trail, on the
/// review test policies: what a Deployment of sidecars with the postgres store is, on one machine.
/// </summary>
internal sealed class Fleet : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = PdpProcess.Timeout;

    private readonly string _directory = Directory.CreateTempSubdirectory("pdp-fleet-").FullName;
    private readonly List<PdpProcess> _instances = [];
    private readonly bool _ownsDatabase;

    private Fleet(string connectionString, bool ownsDatabase)
    {
        ConnectionString = connectionString;
        _ownsDatabase = ownsDatabase;
        Policies = ReviewPolicies.CreateDirectory();
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    public string Policies { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>A fleet on a new database of the shared test cluster, or on <paramref name="connectionString"/>.</summary>
    public static async Task<Fleet> CreateAsync(string prefix, string? connectionString = null)
    {
        var database = connectionString ?? await TestPostgres.CreateDatabaseAsync(prefix, CancellationToken.None).WaitAsync(Timeout);
        return new Fleet(database, connectionString is null);
    }

    public string AuditPath(string instance) => Path.Combine(_directory, instance, "audit.jsonl");

    /// <summary>Starts instance <paramref name="name"/> (its trail under the fleet's directory, kept across restarts).</summary>
    public async Task<PdpProcess> StartAsync(string name, params string[] extra)
    {
        string[] settings =
        [
            "--Pdp:Review:Store=postgres",
            $"--Pdp:Review:Postgres:ConnectionString={ConnectionString}",
            $"--Pdp:InstanceId={name}",
            "--Pdp:Review:ExpirySweepMilliseconds=100",
            "--Pdp:Review:Postgres:ShipIntervalMilliseconds=20",
            .. extra,
        ];
        var instance = await PdpProcess.StartAsync(Policies, AuditPath(name), settings).WaitAsync(Timeout);
        _instances.Add(instance);
        return instance;
    }

    /// <summary>Runs instance <paramref name="name"/> expecting it to refuse to start: its exit code and what it printed on stderr.</summary>
    public async Task<(int ExitCode, string Stderr)> RunToExitAsync(string name)
    {
        var start = new ProcessStartInfo("dotnet", [
            Path.Combine(AppContext.BaseDirectory, "Pdp.Server.dll"),
            $"--Pdp:PolicyDir={Policies}",
            $"--Pdp:Audit:Path={AuditPath(name)}",
            $"--Pdp:GrpcPort={PdpTestServer.FreePort()}",
            $"--Pdp:AdminPort={PdpTestServer.FreePort()}",
            $"--Pdp:AuthZen:Port={PdpTestServer.FreePort()}",
            "--Pdp:Review:Store=postgres",
            $"--Pdp:Review:Postgres:ConnectionString={ConnectionString}",
            $"--Pdp:InstanceId={name}",
        ])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stderr.WaitAsync(Timeout));
    }

    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync().WaitAsync(Timeout), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync().WaitAsync(Timeout);
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (bounded by <see cref="Timeout"/>): for what ships asynchronously.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {Timeout.TotalSeconds} s: {what}");
            }

            await Task.Delay(50);
        }
    }

    public static async Task<DecideResponse> DecideAsync(PdpProcess instance, string actionType, string? ttl = null, int? approvals = null) =>
        await instance.Client.DecideAsync(ReviewPolicies.Request(actionType, ttl, approvals)).ResponseAsync.WaitAsync(Timeout);

    public static async Task<RecordDispositionResponse> DisposeAsync(PdpProcess instance, string decisionId, string reviewer, Outcome outcome, string justification = "") =>
        await instance.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = reviewer, Outcome = outcome, Justification = justification }).ResponseAsync.WaitAsync(Timeout);

    public static async Task<RpcException> RefusedAsync(PdpProcess instance, string decisionId, string reviewer, Outcome outcome, string justification = "") =>
        await Xunit.Assert.ThrowsAsync<RpcException>(() => DisposeAsync(instance, decisionId, reviewer, outcome, justification));

    public static async Task<DecisionRecord> GetAsync(PdpProcess instance, string decisionId) =>
        await instance.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(Timeout);

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await DataSource.DisposeAsync();
        if (_ownsDatabase)
        {
            await TestPostgres.DropDatabaseAsync(ConnectionString, CancellationToken.None).WaitAsync(Timeout);
        }

        Directory.Delete(_directory, recursive: true);
        Directory.Delete(Policies, recursive: true);
    }
}
