using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Pdp.Contracts.V1;
using Xunit;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Tests;

/// <summary>Workload identity: SVIDs over mTLS reach policies, bad ones are refused, files rotate under load, Unix peers are named.</summary>
public sealed class IdentityTests : IAsyncLifetime
{
    private const string Domain = "example.org";
    private const string Agent = "spiffe://example.org/agents/triage-bot";
    private const string Reviewer = "spiffe://example.org/reviewers/console";

    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _pki = Directory.CreateTempSubdirectory("pdp-pki-").FullName;
    private readonly TestPki _ca = TestPki.CreateCa("example.org CA");
    private readonly int _tlsPort = PdpTestServer.FreePort();
    private readonly ConcurrentDictionary<string, int> _serverCertificatesSeen = new();
    private PdpTestServer _server = null!;

    private string ServerCert => Path.Combine(_pki, "svid.pem");

    private string ServerKey => Path.Combine(_pki, "svid_key.pem");

    private string Bundle => Path.Combine(_pki, "bundle.pem");

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_policies, "identity.js"), MtlsTestKit.EchoPolicy).WaitAsync(PdpTestServer.Timeout);
        TestPki.WritePem(_ca.Issue(["spiffe://example.org/pdp"]), ServerCert, ServerKey);
        TestPki.WriteBundle(Bundle, _ca);
        _server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?>
        {
            ["Pdp:Tls:Enabled"] = "true",
            ["Pdp:Tls:Port"] = _tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pdp:Tls:CertificatePath"] = ServerCert,
            ["Pdp:Tls:KeyPath"] = ServerKey,
            [$"Pdp:Tls:TrustDomains:{Domain}"] = Bundle,
            ["Pdp:Tls:ReloadSeconds"] = "1",
            ["Pdp:Review:Recorders:0"] = "spiffe://example.org/reviewers/*",
            ["Pdp:UnixSocket"] = Path.Combine(_pki, "pdp.sock"),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(_pki, recursive: true);
    }

    [Fact]
    public async Task Decide_ValidSvid_PoliciesSeeTheVerifiedSpiffeId()
    {
        using var channel = Mtls(_ca.Issue([Agent]));

        var response = await Decide(channel, "id.echo");

        var caller = JsonNode.Parse(response.Reasons[0].Message)!.AsObject();
        Assert.Equal(Agent, caller["spiffe_id"]!.GetValue<string>());
        Assert.Equal(Domain, caller["trust_domain"]!.GetValue<string>());
        Assert.True(caller["authenticated"]!.GetValue<bool>());
        Assert.Equal("mtls", caller["transport"]!.GetValue<string>());
    }

    [Fact]
    public async Task Decide_PlaintextTcp_MarkedUnauthenticated()
    {
        var response = await Decide(_server.Channel, "id.echo");

        var caller = JsonNode.Parse(response.Reasons[0].Message)!.AsObject();
        Assert.False(caller["authenticated"]!.GetValue<bool>());
        Assert.Equal("tcp", caller["transport"]!.GetValue<string>());
        Assert.Null(caller["spiffe_id"]);
    }

    public static TheoryData<string, string> BadCertificates() => new()
    {
        { "none", "no_certificate" },
        { "no-uri", "no_spiffe_id" },
        { "two-uris", "no_spiffe_id" },
        { "not-spiffe", "invalid_spiffe_id" },
        { "bad-path", "invalid_spiffe_id" },
        { "other-domain", "unknown_trust_domain" },
        { "rogue-ca", "untrusted_chain" },
        { "expired", "untrusted_chain" },
        { "not-yet-valid", "untrusted_chain" },
        { "ca-as-client", "not_a_leaf" },
    };

    [Theory]
    [MemberData(nameof(BadCertificates))]
    public async Task Decide_UnacceptableClientCertificate_UnauthenticatedAndCounted(string kind, string reason)
    {
        var certificate = kind switch
        {
            "none" => null,
            "no-uri" => _ca.Issue([]),
            "two-uris" => _ca.Issue([Agent, "spiffe://example.org/agents/other"]),
            "not-spiffe" => _ca.Issue(["https://example.org/agents/bot"]),
            "bad-path" => _ca.Issue(["spiffe://example.org/agents/"]),
            "other-domain" => TestPki.CreateCa("other").Issue(["spiffe://other.org/agents/bot"]),
            "rogue-ca" => TestPki.CreateCa("example.org CA").Issue([Agent]),
            "expired" => _ca.Issue([Agent], DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1)),
            "not-yet-valid" => _ca.Issue([Agent], DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow.AddHours(2)),
            _ => _ca.Issue([Agent], isCa: true),
        };
        var before = await MetricsScrape.TakeAsync(_server.Admin);
        using var channel = Mtls(certificate);

        var error = await Assert.ThrowsAsync<RpcException>(() => Decide(channel, "id.echo"));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        var after = await MetricsScrape.TakeAsync(_server.Admin);
        Assert.Equal(1, after.Value("pdp_authentication_failures_total", ("reason", reason)) - before.Value("pdp_authentication_failures_total", ("reason", reason)));
    }

    [Fact]
    public async Task Rotation_SvidAndBundleRewrittenUnderLoad_NoCallFailsAndNewMaterialServes()
    {
        var second = TestPki.CreateCa("example.org CA 2");
        var clientOfFirst = _ca.Issue([Agent]);
        var clientOfSecond = second.Issue([Agent]);
        var failures = new ConcurrentBag<string>();
        var calls = 0;
        using var stop = new CancellationTokenSource();

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // A new channel each time: a new TLS handshake that must pick up whatever is on disk now.
                    using var channel = Mtls(clientOfFirst);
                    await Decide(channel, "id.echo");
                    Interlocked.Increment(ref calls);
                }
                catch (RpcException e)
                {
                    failures.Add(e.Status.ToString());
                }
            }
        })).ToArray();

        var firstThumbprint = (await ServerThumbprintAsync()).Thumbprint;
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(300);
            TestPki.WritePem(_ca.Issue(["spiffe://example.org/pdp"]), ServerCert, ServerKey);
        }

        // The new trust domain CA joins the bundle: its workloads are accepted once the bundle reloads.
        TestPki.WriteBundle(Bundle, _ca, second);
        await WaitUntilAsync(async () =>
        {
            try
            {
                using var channel = Mtls(clientOfSecond);
                await Decide(channel, "id.echo");
                return true;
            }
            catch (RpcException)
            {
                return false;
            }
        });
        await WaitUntilAsync(async () => (await ServerThumbprintAsync()).Thumbprint != firstThumbprint);

        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(PdpTestServer.Timeout);
        Assert.Empty(failures);
        Assert.True(calls > 20, $"only {calls} calls were made during the rotation");
    }

    [Fact]
    public async Task Decide_UnixSocket_PoliciesSeeThePeersUidGidAndPid()
    {
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_pki, "pdp.sock")), token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            },
        });

        var response = await Decide(channel, "id.echo");

        var caller = JsonNode.Parse(response.Reasons[0].Message)!.AsObject();
        Assert.Equal("unix", caller["transport"]!.GetValue<string>());
        Assert.True(caller["authenticated"]!.GetValue<bool>());
        Assert.Equal(Environment.ProcessId, caller["unix"]!["pid"]!.GetValue<int>());
        var status = await File.ReadAllLinesAsync("/proc/self/status");
        var uid = uint.Parse(status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(uid, caller["unix"]!["uid"]!.GetValue<uint>());
    }

    [Fact]
    public async Task RecordDisposition_WorkloadIdentities_SelfApprovalAndUnlistedRecordersRefused()
    {
        using var agent = Mtls(_ca.Issue([Agent]));
        using var reviewerConsole = Mtls(_ca.Issue([Reviewer]));
        using var stranger = Mtls(_ca.Issue(["spiffe://example.org/apps/billing"]));
        var decision = await Decide(agent, "id.human");
        var record = new RecordDispositionRequest { DecisionId = decision.DecisionId, Reviewer = "rita", Outcome = Outcome.Approved };

        var self = await Assert.ThrowsAsync<RpcException>(() => new DecisionService.DecisionServiceClient(agent).RecordDispositionAsync(record).ResponseAsync.WaitAsync(PdpTestServer.Timeout));
        var unlisted = await Assert.ThrowsAsync<RpcException>(() => new DecisionService.DecisionServiceClient(stranger).RecordDispositionAsync(record).ResponseAsync.WaitAsync(PdpTestServer.Timeout));
        var plaintext = await Assert.ThrowsAsync<RpcException>(() => _server.Client.RecordDispositionAsync(record).ResponseAsync.WaitAsync(PdpTestServer.Timeout));
        var approved = await new DecisionService.DecisionServiceClient(reviewerConsole).RecordDispositionAsync(record).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

        Assert.Equal(StatusCode.PermissionDenied, self.StatusCode);
        Assert.Contains("requested this decision", self.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, unlisted.StatusCode);
        Assert.Contains("Recorders", unlisted.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, plaintext.StatusCode);
        Assert.Equal(ReviewStatus.Approved, approved.Decision.ReviewStatus);
    }

    private GrpcChannel Mtls(X509Certificate2? clientCertificate) =>
        MtlsTestKit.Channel(_tlsPort, clientCertificate, _ca.Certificate, server => _serverCertificatesSeen.AddOrUpdate(server.Thumbprint, 1, (_, n) => n + 1));

    // Reads whichever certificate the server presents now, to see a rotation; trust is not the question here.
#pragma warning disable CA5359
    private async Task<X509Certificate2> ServerThumbprintAsync()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, _tlsPort).WaitAsync(PdpTestServer.Timeout);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, _, _, _) => true }).WaitAsync(PdpTestServer.Timeout);
        return new X509Certificate2(tls.RemoteCertificate!);
    }
#pragma warning restore CA5359

    private static Task<DecideResponse> Decide(GrpcChannel channel, string type) => MtlsTestKit.DecideAsync(channel, type);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + PdpTestServer.Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(100);
        }
    }
}
