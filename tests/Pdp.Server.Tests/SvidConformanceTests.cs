using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Grpc.Core;
using Xunit;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Tests;

/// <summary>
/// One real server with an mTLS listener for <see cref="SvidConformanceTests"/>. Besides the good trust domain it
/// trusts domains whose bundle CA breaks a rule for signing certificates, so that each rule can be tried alone.
/// </summary>
public sealed class SvidConformanceFixture : IAsyncLifetime
{
    public const string Domain = "example.test";

    /// <summary>The longest trust domain name the SPIFFE ID spec allows (255 bytes, RFC 3986's host limit).</summary>
    public static readonly string LongestDomain = new string('a', 250) + ".test";

    private readonly string _pki = Directory.CreateTempSubdirectory("pdp-svid-pki-").FullName;

    public string PolicyDir { get; } = Directory.CreateTempSubdirectory("pdp-svid-policies-").FullName;

    public int TlsPort { get; } = PdpTestServer.FreePort();

    internal TestPki Ca { get; } = TestPki.CreateCa("example.test CA");

    /// <summary>Bundle CAs that are not valid SVID signing certificates, by the trust domain they anchor.</summary>
    internal Dictionary<string, TestPki> BadCas { get; } = new(StringComparer.Ordinal)
    {
        ["no-cert-sign.test"] = TestPki.CreateCa("no keyCertSign", X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature),
        ["not-a-ca.test"] = TestPki.CreateCa("cA false", isCa: false),
        ["ca-path.test"] = TestPki.CreateCa("SPIFFE ID with a path", spiffeId: "spiffe://ca-path.test/intermediate"),
    };

    internal PdpTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(PolicyDir, "identity.js"), MtlsTestKit.EchoPolicy).WaitAsync(PdpTestServer.Timeout);
        var settings = new Dictionary<string, string?>
        {
            ["Pdp:Tls:Enabled"] = "true",
            ["Pdp:Tls:Port"] = TlsPort.ToString(CultureInfo.InvariantCulture),
            ["Pdp:Tls:CertificatePath"] = Path.Combine(_pki, "svid.pem"),
            ["Pdp:Tls:KeyPath"] = Path.Combine(_pki, "svid_key.pem"),
        };
        TestPki.WritePem(Ca.Issue([$"spiffe://{Domain}/pdp"]), settings["Pdp:Tls:CertificatePath"]!, settings["Pdp:Tls:KeyPath"]!);
        var anchors = BadCas.Append(new(Domain, Ca)).Append(new(LongestDomain, Ca)).ToArray();
        for (var i = 0; i < anchors.Length; i++)
        {
            var (domain, ca) = anchors[i];
            var bundle = Path.Combine(_pki, $"bundle-{i}.pem");
            TestPki.WriteBundle(bundle, ca);
            settings[$"Pdp:Tls:TrustDomains:{domain}"] = bundle;
        }

        Server = await PdpTestServer.StartAsync(PolicyDir, settings).WaitAsync(PdpTestServer.Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(PolicyDir, recursive: true);
        Directory.Delete(_pki, recursive: true);
    }
}

/// <summary>
/// The MUSTs of the X509-SVID spec (§2, §3, §4, §5) and the SPIFFE ID syntax (SPIFFE-ID §2), each tried with a
/// certificate built by hand and presented over real mTLS: what must be refused is UNAUTHENTICATED, counted under
/// its reason, never decided and never on the trail; what the spec allows reaches the policy as the caller.
/// </summary>
public sealed class SvidConformanceTests(SvidConformanceFixture fixture) : IClassFixture<SvidConformanceFixture>
{
    private const string Domain = SvidConformanceFixture.Domain;
    private const string Workload = $"spiffe://{Domain}/agents/triage-bot";
    private const X509KeyUsageFlags DigitalSignature = X509KeyUsageFlags.DigitalSignature;
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public static TheoryData<string, string> RefusedLeaves() => new()
    {
        // §3.1, §5.2: a leaf's SPIFFE ID must have a non-root path; the trust domain alone names no workload.
        { "root-id", "root_spiffe_id" },

        // §4.1, §5.2: a leaf is not a CA.
        { "ca-true", "not_a_leaf" },

        // §3.2, §4.3, §5.2: keyCertSign and cRLSign make a signing certificate, which must not authenticate.
        { "key-cert-sign", "signing_key_usage" },
        { "crl-sign", "signing_key_usage" },
        { "key-cert-sign-and-crl-sign", "signing_key_usage" },

        // §4.3: the key usage extension is set on every SVID, critical, and a leaf's has digitalSignature.
        { "no-digital-signature", "invalid_key_usage" },
        { "no-key-usage", "invalid_key_usage" },
        { "key-usage-not-critical", "invalid_key_usage" },

        // §4.4: when the extended key usage extension is there, serverAuth and clientAuth are both set.
        { "eku-client-auth-only", "invalid_extended_key_usage" },
        { "eku-server-auth-only", "invalid_extended_key_usage" },
        { "eku-code-signing", "invalid_extended_key_usage" },

        // §2, §5.2: exactly one URI SAN, whatever the others are.
        { "spiffe-and-https-uri", "no_spiffe_id" },

        // §3.2, §5.1: the bundle CA must be a valid signing certificate: cA true, keyCertSign set, no path in its ID.
        { "issuer-without-key-cert-sign", "untrusted_chain" },
        { "issuer-not-a-ca", "untrusted_chain" },
        { "issuer-id-with-path", "invalid_signing_certificate" },
    };

    [Theory]
    [MemberData(nameof(RefusedLeaves))]
    public async Task Decide_NonConformingSvid_UnauthenticatedCountedAndNeverDecided(string kind, string reason)
    {
        var certificate = kind switch
        {
            "root-id" => fixture.Ca.Issue([$"spiffe://{Domain}"]),
            "ca-true" => fixture.Ca.Issue([Workload], isCa: true),
            "key-cert-sign" => fixture.Ca.Issue([Workload], keyUsage: DigitalSignature | X509KeyUsageFlags.KeyCertSign),
            "crl-sign" => fixture.Ca.Issue([Workload], keyUsage: DigitalSignature | X509KeyUsageFlags.CrlSign),
            "key-cert-sign-and-crl-sign" => fixture.Ca.Issue([Workload], keyUsage: DigitalSignature | TestPki.CaUsage),
            "no-digital-signature" => fixture.Ca.Issue([Workload], keyUsage: X509KeyUsageFlags.NonRepudiation),
            "no-key-usage" => fixture.Ca.Issue([Workload], withKeyUsage: false),
            "key-usage-not-critical" => fixture.Ca.Issue([Workload], keyUsageCritical: false),
            "eku-client-auth-only" => fixture.Ca.Issue([Workload], purposes: [ClientAuth]),
            "eku-server-auth-only" => fixture.Ca.Issue([Workload], purposes: [ServerAuth]),
            "eku-code-signing" => fixture.Ca.Issue([Workload], purposes: ["1.3.6.1.5.5.7.3.3"]),
            "spiffe-and-https-uri" => fixture.Ca.Issue([Workload, "https://example.test/agents/triage-bot"]),
            "issuer-without-key-cert-sign" => fixture.BadCas["no-cert-sign.test"].Issue(["spiffe://no-cert-sign.test/agents/bot"]),
            "issuer-not-a-ca" => fixture.BadCas["not-a-ca.test"].Issue(["spiffe://not-a-ca.test/agents/bot"]),
            "issuer-id-with-path" => fixture.BadCas["ca-path.test"].Issue(["spiffe://ca-path.test/agents/bot"]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        await AssertRefusedAsync(certificate, reason);
    }

    public static TheoryData<string, string> MalformedIds() => new()
    {
        { "uppercase-scheme", "SPIFFE://example.test/agents/bot" },
        { "other-scheme", "spiffe-x://example.test/agents/bot" },
        { "no-authority", "spiffe:example.test/agents/bot" },
        { "empty-trust-domain", "spiffe:///agents/bot" },
        { "uppercase-trust-domain", "spiffe://Example.test/agents/bot" },
        { "trust-domain-bad-char", "spiffe://exa$mple.test/agents/bot" },
        { "trust-domain-over-255-bytes", $"spiffe://{new string('a', 251)}.test/agents/bot" },
        { "port", "spiffe://example.test:8443/agents/bot" },
        { "empty-port", "spiffe://example.test:/agents/bot" },
        { "userinfo", "spiffe://bot@example.test/agents/bot" },
        { "query", "spiffe://example.test/agents/bot?x=1" },
        { "fragment", "spiffe://example.test/agents/bot#x" },
        { "percent-encoding", "spiffe://example.test/agents/b%6Ft" },
        { "root-with-slash", "spiffe://example.test/" },
        { "trailing-slash", "spiffe://example.test/agents/bot/" },
        { "empty-segment", "spiffe://example.test/agents//bot" },
        { "dot-segment", "spiffe://example.test/agents/./bot" },
        { "dot-dot-segment", "spiffe://example.test/agents/../bot" },
        { "path-bad-char", "spiffe://example.test/agents/b*t" },
        { "over-2048-bytes", $"spiffe://{Domain}/{new string('p', 2049 - $"spiffe://{Domain}/".Length)}" },
    };

    [Theory]
    [MemberData(nameof(MalformedIds))]
    public async Task Decide_MalformedSpiffeId_UnauthenticatedCountedAndNeverDecided(string kind, string uri)
    {
        Assert.False(string.IsNullOrEmpty(kind));

        await AssertRefusedAsync(fixture.Ca.Issue([uri]), "invalid_spiffe_id");
    }

    public static TheoryData<string, string> AcceptedLeaves() => new()
    {
        { "plain", Workload },
        { "path-characters", $"spiffe://{Domain}/A-Z_a.z/0-9/x..y/.hidden" },
        { "single-segment", $"spiffe://{Domain}/bot" },
        { "key-encipherment-and-agreement", Workload },
        { "no-extended-key-usage", Workload },
        { "no-basic-constraints", Workload },
        { "longest-id", $"spiffe://{SvidConformanceFixture.LongestDomain}/{new string('p', 2048 - $"spiffe://{SvidConformanceFixture.LongestDomain}/".Length)}" },
    };

    [Theory]
    [MemberData(nameof(AcceptedLeaves))]
    public async Task Decide_ConformingSvid_PoliciesSeeItsSpiffeId(string kind, string id)
    {
        var certificate = kind switch
        {
            "key-encipherment-and-agreement" => fixture.Ca.Issue([id], keyUsage: DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyAgreement),
            "no-extended-key-usage" => fixture.Ca.Issue([id], purposes: []),

            // RFC 5280 §4.2.1.9: without the extension cA is false, so this is a leaf.
            "no-basic-constraints" => fixture.Ca.Issue([id], withBasicConstraints: false),
            _ => fixture.Ca.Issue([id]),
        };
        using var channel = MtlsTestKit.Channel(fixture.TlsPort, certificate, fixture.Ca.Certificate);

        var response = await MtlsTestKit.DecideAsync(channel, "id.measure");

        var caller = JsonNode.Parse(response.Reasons[0].Message)!.AsObject();
        Assert.Equal(id.Length, caller["length"]!.GetValue<int>());
        Assert.Equal(id[..Math.Min(64, id.Length)], caller["start"]!.GetValue<string>());
        Assert.Equal(id[^Math.Min(64, id.Length)..], caller["end"]!.GetValue<string>());
        Assert.Equal(id[9..].Split('/')[0], caller["trust_domain"]!.GetValue<string>());
        Assert.True(caller["authenticated"]!.GetValue<bool>());
    }

    private async Task AssertRefusedAsync(X509Certificate2 certificate, string reason)
    {
        var before = await MetricsScrape.TakeAsync(fixture.Server.Admin);
        var trailBefore = await TrailLinesAsync();
        using var channel = MtlsTestKit.Channel(fixture.TlsPort, certificate, fixture.Ca.Certificate);

        var error = await Assert.ThrowsAsync<RpcException>(() => MtlsTestKit.DecideAsync(channel, "id.echo"));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        var after = await MetricsScrape.TakeAsync(fixture.Server.Admin);
        Assert.Equal(1, after.Value("pdp_authentication_failures_total", ("reason", reason)) - before.Value("pdp_authentication_failures_total", ("reason", reason)));
        Assert.Equal(Decisions(before), Decisions(after));
        Assert.Equal(trailBefore, await TrailLinesAsync());
    }

    private static double Decisions(MetricsScrape scrape) => scrape.Named("pdp_decisions_total{").Sum(series => scrape.Series[series]);

    private async Task<int> TrailLinesAsync()
    {
        await using var stream = new FileStream(fixture.Server.AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync().WaitAsync(PdpTestServer.Timeout)).Count(c => c == '\n');
    }
}
