using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Pdp.Contracts.Envoy.Auth.V3;
using Xunit;
using static Pdp.Server.Tests.EnvoyTestKit;
using GrpcCode = Grpc.Core.StatusCode;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;

namespace Pdp.Server.Tests;

/// <summary>Check on every gRPC listener (plaintext, mTLS, Unix socket), the proxies allowed to call it, and switching it off.</summary>
public sealed class EnvoyListenerTests : IAsyncLifetime
{
    private const string Proxy = "spiffe://example.org/proxies/envoy";

    private readonly string _policies = CreatePolicies();
    private readonly string _pki = Directory.CreateTempSubdirectory("pdp-envoy-pki-").FullName;
    private readonly TestPki _ca = TestPki.CreateCa("example.org CA");
    private readonly int _tlsPort = PdpTestServer.FreePort();
    private PdpTestServer _server = null!;

    private string Socket => Path.Combine(_pki, "pdp.sock");

    public async ValueTask InitializeAsync()
    {
        TestPki.WritePem(_ca.Issue(["spiffe://example.org/pdp"]), Path.Combine(_pki, "svid.pem"), Path.Combine(_pki, "svid_key.pem"));
        TestPki.WriteBundle(Path.Combine(_pki, "bundle.pem"), _ca);
        _server = await PdpTestServer.StartAsync(_policies, Settings(
            ("Pdp:Tls:Enabled", "true"),
            ("Pdp:Tls:Port", _tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Pdp:Tls:CertificatePath", Path.Combine(_pki, "svid.pem")),
            ("Pdp:Tls:KeyPath", Path.Combine(_pki, "svid_key.pem")),
            ("Pdp:Tls:TrustDomains:example.org", Path.Combine(_pki, "bundle.pem")),
            ("Pdp:UnixSocket", Socket),
            ("Pdp:Envoy:Callers:0", "spiffe://example.org/proxies/*")));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(_pki, recursive: true);
    }

    [Fact]
    public async Task Check_ListedProxyOverMtls_DecidedAndPolicySeesTheProxyAsCaller()
    {
        using var channel = Mtls(_ca.Issue([Proxy]));

        var response = await CheckAsync(channel, Request("POST", "/v1/tickets", [("x-ai-action", "envoy.deny"), ("x-echo", "caller.spiffe_id")]));

        Assert.Equal(HttpCode.Forbidden, HttpStatus(response));
        Assert.Equal(Proxy, (await EchoAsync(_server, response))!.GetValue<string>());
    }

    public static TheoryData<string> UnlistedCallers() => ["plaintext", "unix", "unlisted-svid"];

    [Theory]
    [MemberData(nameof(UnlistedCallers))]
    public async Task Check_CallerNotInEnvoyCallers_DeniedAndRecorded(string transport)
    {
        using var channel = transport switch
        {
            "plaintext" => GrpcChannel.ForAddress($"http://127.0.0.1:{_server.GrpcPort}"),
            "unix" => Unix(),
            _ => Mtls(_ca.Issue([Agent])),
        };

        var response = await CheckAsync(channel, Request("GET", "/v1/echo/1/items"));

        Assert.Equal((int)GrpcCode.PermissionDenied, response.Status.Code);
        Assert.Contains("Pdp:Envoy:Callers", Body(response)["reasons"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(Refusals(_server.AuditPath, "caller"));
        Assert.DoesNotContain(Trail(_server.AuditPath), r => r.Type == "decision");
    }

    [Fact]
    public async Task Check_UnixSocketWithoutCallersList_PolicySeesTheUnixPeer()
    {
        await _server.DisposeAsync();
        _server = await PdpTestServer.StartAsync(_policies, Settings(("Pdp:UnixSocket", Socket)));
        using var channel = Unix();

        var response = await CheckAsync(channel, Request("POST", "/v1/tickets", [("x-ai-action", "envoy.deny"), ("x-echo", "caller.transport")]));

        Assert.Equal("unix", (await EchoAsync(_server, response))!.GetValue<string>());
    }

    [Fact]
    public async Task Check_EnvoyDisabled_ServiceNotServed()
    {
        await _server.DisposeAsync();
        _server = await PdpTestServer.StartAsync(_policies, Settings(("Pdp:Envoy:Enabled", "false")));

        var error = await Assert.ThrowsAsync<RpcException>(() => CheckAsync(_server.Channel, Request("GET", "/v1/echo/1/items")));

        Assert.Equal(GrpcCode.Unimplemented, error.StatusCode);
    }

    [Theory]
    [InlineData("Pdp:Envoy:Routes:0:Action", "Not An Action")]
    [InlineData("Pdp:Envoy:Routes:0:Path", "/v1/users/{target}/{target}")]
    [InlineData("Pdp:Envoy:Routes:0:Path", "v1/no-leading-slash")]
    [InlineData("Pdp:Envoy:ActionHeader", "bad header")]
    [InlineData("Pdp:Envoy:ApprovalValiditySeconds", "0")]
    [InlineData("Pdp:Envoy:Callers:0", "https://example.org/not-spiffe")]
    public async Task Start_InvalidEnvoySetting_RefusedNamingIt(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var server = await PdpTestServer.StartAsync(_policies, Settings((key, value)));
        });

        Assert.Contains("Pdp:Envoy:", error.Message, StringComparison.Ordinal);
    }

    private static Task<CheckResponse> CheckAsync(GrpcChannel channel, CheckRequest request) =>
        new Authorization.AuthorizationClient(channel).CheckAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    private GrpcChannel Unix() => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        },
    });

    private GrpcChannel Mtls(X509Certificate2 clientCertificate) => GrpcChannel.ForAddress($"https://127.0.0.1:{_tlsPort}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificates = new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(_ca.Certificate);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is X509Certificate2 server && chain.Build(server);
                },
            },
        },
    });
}
