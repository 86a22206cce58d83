using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pdp.Contracts.V1;

namespace Pdp.TestSupport;

/// <summary>
/// The real server in the test process on free loopback ports, with a real gRPC channel and an HTTP client for the admin
/// port. Every test project that hosts the server in-process uses this one; a server process of its own is <see cref="PdpProcess"/>.
/// </summary>
public sealed class PdpTestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;

    private PdpTestServer(WebApplication app, int grpcPort, int adminPort)
    {
        _app = app;
        GrpcPort = grpcPort;
        AdminPort = adminPort;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { MaxSendMessageSize = 64 * 1024 * 1024 });
        Client = new DecisionService.DecisionServiceClient(Channel);
        Health = new Health.HealthClient(Channel);
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = Timeout };
    }

    public int GrpcPort { get; }

    public int AdminPort { get; }

    public GrpcChannel Channel { get; }

    public DecisionService.DecisionServiceClient Client { get; }

    public Health.HealthClient Health { get; }

    public HttpClient Admin { get; }

    public IServiceProvider Services => _app.Services;

    public string AuditPath => _app.Services.GetRequiredService<Pdp.Server.Auditing.AuditTrailHost>().Options.Path;

    public static string ShippedPolicies => Repository.ShippedPolicies;

    public static async Task<PdpTestServer> StartAsync(string? policyDir = null, IDictionary<string, string?>? settings = null)
    {
        var (grpcPort, adminPort) = (FreePort(), FreePort());
        var config = new Dictionary<string, string?>
        {
            ["Pdp:PolicyDir"] = policyDir ?? ShippedPolicies,
            ["Pdp:GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pdp:AdminPort"] = adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture),

            // The AuthZEN listener on, on a free port (many tests use it; off unless configured in production).
            ["Pdp:AuthZen:Port"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",

            // Each server gets its own trail unless a test shares one on purpose (restarts).
            ["Pdp:Audit:Path"] = Path.Combine(Directory.CreateTempSubdirectory("pdp-trail-").FullName, "audit.jsonl"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var app = Pdp.Server.Hosting.PdpServer.Build([], builder => builder.Configuration.AddInMemoryCollection(config));
        try
        {
            await app.StartAsync().WaitAsync(Timeout);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new PdpTestServer(app, grpcPort, adminPort);
    }

    public static DecideRequest Request(string actionType, string targetId = "user-1@example.com", double confidence = 0.95, double risk = 50, string environment = "staging", string agent = "triage-bot")
    {
        var request = new DecideRequest
        {
            Agent = new Agent { Id = agent, Model = "test-model", ModelVersion = "1", SessionId = "s-1", OnBehalfOf = "alice@example.com" },
            Action = new Pdp.Contracts.V1.Action
            {
                Type = actionType,
                Target = new Target { Kind = "account", Id = targetId },
                Confidence = confidence,
                RiskScore = risk,
                Rationale = "test",
            },
            Context = new Google.Protobuf.WellKnownTypes.Struct(),
        };
        request.Context.Fields["environment"] = Google.Protobuf.WellKnownTypes.Value.ForString(environment);
        request.Context.Fields["incident_id"] = Google.Protobuf.WellKnownTypes.Value.ForString("INC-1");
        return request;
    }

    public static string RepositoryRoot() => Repository.Root;

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Channel.Dispose();
        await _app.StopAsync().WaitAsync(Timeout);
        await _app.DisposeAsync();
    }

    public static int FreePort() => FreePorts.Next();
}
