using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pdp.Policies.Loading;
using Pdp.Policies.Sandbox;
using Xunit;
using YamlDotNet.RepresentationModel;
using static Pdp.Server.Tests.K8sManifests;

namespace Pdp.Server.Tests;

/// <summary>
/// The sidecar deployment: the health check mode the container and the probes run, and the Dockerfile,
/// Kubernetes manifests and Envoy configuration parsed and checked against each other (ports, paths, socket).
/// </summary>
public sealed class DeploymentTests
{
    private const string SocketPath = "/var/run/pdp/pdp.sock";

    private static readonly TimeSpan Timeout = PdpTestServer.Timeout;

    private static string Root { get; } = PdpTestServer.RepositoryRoot();

    private static string K8sDir => Path.Combine(Root, "deploy", "k8s");

    private static string EnvoyPath => Path.Combine(Root, "deploy", "envoy", "envoy.yaml");

    public static TheoryData<string, string, int> HealthTargets() => new()
    {
        { "ready", "/readyz", 0 },
        { "ready", "/healthz", 0 },
        { "closed", "/readyz", 1 },
        { "not-ready", "/readyz", 1 },
    };

    [Theory]
    [MemberData(nameof(HealthTargets))]
    public async Task HealthCheck_AdminPortState_ExitCode(string target, string path, int expected)
    {
        await using var server = target == "ready" ? await PdpTestServer.StartAsync().WaitAsync(Timeout) : null;
        using var notReady = target == "not-ready" ? new CannedHttpServer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot ready\n") : null;
        var port = server?.AdminPort ?? notReady?.Port ?? PdpTestServer.FreePort();

        var (exitCode, output) = await RunServerAsync("--healthcheck", path, $"--Pdp:AdminPort={port}", "--Pdp:ListenAddress=127.0.0.1").WaitAsync(Timeout);

        Assert.True(exitCode == expected, $"exit {exitCode}, expected {expected}: {output}");
        Assert.Contains($"127.0.0.1:{port}{path}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheck_WildcardListenAddress_ReachesTheAdminPortOnLoopback()
    {
        // pdp-review binds Pdp:ListenAddress=0.0.0.0; its exec probes must still find the admin port.
        await using var server = await PdpTestServer.StartAsync().WaitAsync(Timeout);

        var (exitCode, output) = await RunServerAsync("--healthcheck", "/readyz", $"--Pdp:AdminPort={server.AdminPort}", "--Pdp:ListenAddress=0.0.0.0").WaitAsync(Timeout);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}");
        Assert.Contains($"127.0.0.1:{server.AdminPort}/readyz", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dockerfile_Stages_PublishThenNonRootRuntimeWithHealthCheck()
    {
        var lines = (await File.ReadAllLinesAsync(Path.Combine(Root, "Dockerfile")).WaitAsync(Timeout)).Select(l => l.Trim()).ToArray();

        var from = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, from.Length);
        Assert.Contains("dotnet/sdk:10.0", from[0], StringComparison.Ordinal);
        Assert.Contains("dotnet/aspnet:10.0", from[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish src/Pdp.Server/Pdp.Server.csproj -c Release", StringComparison.Ordinal));
        var runtime = lines.SkipWhile(l => l != from[1]).ToArray();
        Assert.Equal("USER $APP_UID", runtime.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)));
        Assert.Contains(runtime, l => l.StartsWith("CMD [\"dotnet\", \"/app/Pdp.Server.dll\", \"--healthcheck\"", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.Contains("Pdp__PolicyDir=/etc/pdp/policies", string.Join('\n', runtime), StringComparison.Ordinal);
        Assert.Contains("Pdp__Audit__Path=/var/lib/pdp/audit.jsonl", string.Join('\n', runtime), StringComparison.Ordinal);
        Assert.Contains("VOLUME /var/lib/pdp", runtime);
        Assert.Equal(["50051", "50052", "8282", "8383"], DockerfilePorts(lines));
    }

    [Fact]
    public void K8sManifests_Parse_EveryDocumentHasAKindAndAName()
    {
        var documents = K8sDocuments();

        Assert.NotEmpty(documents);
        foreach (var (file, document) in documents)
        {
            Assert.False(string.IsNullOrEmpty(Text(document, "apiVersion")), file);
            Assert.False(string.IsNullOrEmpty(Text(document, "kind")), file);
            Assert.False(string.IsNullOrEmpty(Text(document, "metadata", "name")), file);
        }

        Assert.Equal(
            [
                "ConfigMap/pdp-envoy", "ConfigMap/pdp-policies", "ConfigMap/pdp-policy-data", "ConfigMap/spiffe-helper",
                "Deployment/pdp-review", "Deployment/triage-agent", "NetworkPolicy/pdp-review", "PodDisruptionBudget/pdp-review",
                "Secret/pdp-review-postgres", "Service/pdp-review", "ServiceAccount/pdp-review", "ServiceAccount/triage-agent",
            ],
            documents.Select(d => $"{Text(d.Document, "kind")}/{Text(d.Document, "metadata", "name")}").Order(StringComparer.Ordinal));
    }

    public static TheoryData<string> Containers() => new() { "agent", "envoy", "pdp" };

    [Theory]
    [MemberData(nameof(Containers))]
    public void K8sDeployment_Container_NonRootReadOnlyNoCapabilitiesWithResources(string name)
    {
        var container = Container(name);

        Assert.Equal("true", Text(container, "securityContext", "runAsNonRoot"));
        Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], Sequence(container, "securityContext", "capabilities", "drop").Select(n => ((YamlScalarNode)n).Value));
        foreach (var kind in new[] { "requests", "limits" })
        {
            Assert.False(string.IsNullOrEmpty(Text(container, "resources", kind, "cpu")), $"{name} resources.{kind}.cpu");
            Assert.False(string.IsNullOrEmpty(Text(container, "resources", kind, "memory")), $"{name} resources.{kind}.memory");
        }
    }

    public static TheoryData<string, string> Probes() => new()
    {
        { "livenessProbe", "/healthz" },
        { "readinessProbe", "/readyz" },
        { "startupProbe", "/readyz" },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public void K8sDeployment_PdpProbe_RunsTheHealthCheckAgainstItsPath(string probe, string path)
    {
        var command = Sequence(Container("pdp"), probe, "exec", "command").Select(n => ((YamlScalarNode)n).Value).ToArray();

        Assert.Equal(["dotnet", "/app/Pdp.Server.dll", "--healthcheck", path], command);
    }

    [Fact]
    public async Task K8sDeployment_PdpPorts_MatchTheDockerfileAndTheSettings()
    {
        var pdp = Container("pdp");
        var env = Env(pdp);
        var ports = Sequence(pdp, "ports").ToDictionary(p => Text(p, "name")!, p => Text(p, "containerPort")!);
        var exposed = DockerfilePorts(await File.ReadAllLinesAsync(Path.Combine(Root, "Dockerfile")).WaitAsync(Timeout));

        Assert.All(ports.Values, port => Assert.Contains(port, exposed));
        Assert.Equal(env["Pdp__Tls__Port"], ports["grpc-mtls"]);
        Assert.Equal(env["Pdp__AdminPort"], ports["admin"]);
        Assert.Equal(env["Pdp__AuthZen__Port"], ports["authzen"]);
        Assert.Equal("8383", ports["authzen"]);
        Assert.Equal("8282", ports["admin"]);
        Assert.Equal("http://127.0.0.1:8383", Env(Container("agent"))["PDP_AUTHZEN_URL"]);
    }

    [Fact]
    public void K8sDeployment_Volumes_PoliciesTrailSocketAndSvidWhereTheSettingsSay()
    {
        var pdp = Container("pdp");
        var env = Env(pdp);

        Assert.Equal("/etc/pdp/policies", env["Pdp__PolicyDir"]);
        Assert.Equal("policies", MountedAt(pdp, env["Pdp__PolicyDir"]));
        Assert.Equal("trail", MountedAt(pdp, Path.GetDirectoryName(env["Pdp__Audit__Path"])!));
        // One trail per pod (one writer per trail): a generic ephemeral volume, never a claim the replicas share.
        Assert.Null(At(Volume("trail"), "persistentVolumeClaim"));
        Assert.Equal(["ReadWriteOnce"], Sequence(Volume("trail"), "ephemeral", "volumeClaimTemplate", "spec", "accessModes").Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal("svid", MountedAt(pdp, Path.GetDirectoryName(env["Pdp__Tls__CertificatePath"])!));
        Assert.Equal("svid", MountedAt(pdp, Path.GetDirectoryName(env["Pdp__Tls__TrustDomains__example.org"])!));
        Assert.Equal("svid", MountedAt(InitContainer("spiffe-helper"), "/run/pdp/svid"));
        Assert.NotNull(Volume("svid")["emptyDir"]);
        Assert.Equal("tmp", MountedAt(pdp, "/tmp"));

        // The policy volume projects the two policy ConfigMaps, the data files under data/.
        var sources = Sequence(Volume("policies"), "projected", "sources").Select(s => Text(s, "configMap", "name")).ToArray();
        Assert.Equal(["pdp-policies", "pdp-policy-data"], sources);
        Assert.All(Sequence(Volume("policies"), "projected", "sources")[1]["configMap"]["items"].AllNodes.OfType<YamlMappingNode>().Where(m => m.Children.ContainsKey("path")),
            item => Assert.StartsWith("data/", Text(item, "path"), StringComparison.Ordinal));
    }

    [Fact]
    public void K8sDeployment_Svids_FromTheSpiffeCsiDriverThroughSpiffeHelper()
    {
        var helper = InitContainer("spiffe-helper");
        var config = Text(Document("ConfigMap", "spiffe-helper"), "data", "helper.conf")!;

        Assert.Equal("Always", Text(helper, "restartPolicy"));
        Assert.Equal("csi.spiffe.io", Text(Volume("spiffe-workload-api"), "csi", "driver"));
        Assert.Equal("spiffe-workload-api", MountedAt(helper, "/spiffe-workload-api"));
        Assert.Contains("agent_address         = \"/spiffe-workload-api/", config, StringComparison.Ordinal);
        var env = Env(Container("pdp"));
        Assert.Contains($"cert_dir              = \"{Path.GetDirectoryName(env["Pdp__Tls__CertificatePath"])}\"", config, StringComparison.Ordinal);
        Assert.Contains($"svid_file_name        = \"{Path.GetFileName(env["Pdp__Tls__CertificatePath"])}\"", config, StringComparison.Ordinal);
        Assert.Contains($"svid_key_file_name    = \"{Path.GetFileName(env["Pdp__Tls__KeyPath"])}\"", config, StringComparison.Ordinal);
        Assert.Contains($"svid_bundle_file_name = \"{Path.GetFileName(env["Pdp__Tls__TrustDomains__example.org"])}\"", config, StringComparison.Ordinal);
        Assert.Equal("/ready", Text(helper, "startupProbe", "httpGet", "path"));
        Assert.Contains("readiness_path   = \"/ready\"", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task K8sPolicies_ConfigMaps_LoadAsAValidPolicySet()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-k8s-policies-").FullName;
        try
        {
            // What the projected volume puts on disk: the modules at the top, each listed data key at its path.
            foreach (var (key, value) in Mapping(Document("ConfigMap", "pdp-policies"), "data"))
            {
                await File.WriteAllTextAsync(Path.Combine(dir, key), value).WaitAsync(Timeout);
            }

            var data = Mapping(Document("ConfigMap", "pdp-policy-data"), "data");
            foreach (var item in Sequence(Volume("policies"), "projected", "sources")[1]["configMap"]["items"].AllNodes.OfType<YamlMappingNode>().Where(m => m.Children.ContainsKey("key")))
            {
                var target = Path.Combine(dir, Text(item, "path")!);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await File.WriteAllTextAsync(target, data[Text(item, "key")!]).WaitAsync(Timeout);
            }

            Assert.Equal(data.Keys.Order(StringComparer.Ordinal), Directory.GetFiles(Path.Combine(dir, "data")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var (set, problems) = new PolicySetLoader(new SandboxOptions()).TryLoad(new DirectoryPolicySource(dir).Read());

            Assert.Empty(problems);
            Assert.Equal(["example-agent-actions"], set!.Policies.Select(p => p.Id));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EnvoyConfig_ExtAuthzFilter_FailsClosedOverGrpcV3WithABoundedBody()
    {
        var (filters, extAuthz) = ExtAuthz();

        Assert.Equal("type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", Text(extAuthz, "@type"));
        Assert.Equal("false", Text(extAuthz, "failure_mode_allow"));
        Assert.Equal("V3", Text(extAuthz, "transport_api_version"));
        var maxBody = int.Parse(Text(extAuthz, "with_request_body", "max_request_bytes")!, CultureInfo.InvariantCulture);
        Assert.InRange(maxBody, 1, 1024 * 1024);
        Assert.Equal("false", Text(extAuthz, "with_request_body", "allow_partial_message"));
        var forwarded = Sequence(extAuthz, "allowed_headers", "patterns").SelectMany(p => ((YamlMappingNode)p).Children.Values).Select(v => ((YamlScalarNode)v).Value).ToArray();
        Assert.Contains("x-ai-", forwarded);
        Assert.DoesNotContain("authorization", forwarded);

        // ext_authz runs before the router, which must come last.
        var names = filters.Select(f => Text(f, "name")).ToArray();
        Assert.Equal("envoy.filters.http.router", names[^1]);
        Assert.True(Array.IndexOf(names, "envoy.filters.http.ext_authz") < names.Length - 1);
    }

    [Fact]
    public void EnvoyConfig_AuthzCluster_IsThePdpSocketTheManifestShares()
    {
        var (_, extAuthz) = ExtAuthz();
        var clusterName = Text(extAuthz, "grpc_service", "envoy_grpc", "cluster_name");
        var cluster = Sequence(Load(EnvoyPath), "static_resources", "clusters").Single(c => Text(c, "name") == clusterName);
        var pipe = Text(Sequence(Sequence(cluster, "load_assignment", "endpoints")[0], "lb_endpoints")[0], "endpoint", "address", "pipe", "path");

        Assert.Equal(SocketPath, pipe);
        Assert.NotNull(cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]["explicit_http_config"]["http2_protocol_options"]);
        Assert.Equal(SocketPath, Env(Container("pdp"))["Pdp__UnixSocket"]);
        var directory = Path.GetDirectoryName(SocketPath)!;
        Assert.Equal("pdp-socket", MountedAt(Container("pdp"), directory));
        Assert.Equal("pdp-socket", MountedAt(Container("envoy"), directory));
        Assert.NotNull(Volume("pdp-socket")["emptyDir"]);
    }

    [Fact]
    public async Task EnvoyConfig_K8sConfigMap_CarriesTheFileVerbatim()
    {
        var file = await File.ReadAllTextAsync(EnvoyPath).WaitAsync(Timeout);
        var envoy = Container("envoy");

        Assert.Equal(file, Text(Document("ConfigMap", "pdp-envoy"), "data", "envoy.yaml"));
        Assert.Equal("pdp-envoy", Text(Volume("envoy-config"), "configMap", "name"));
        Assert.Equal("envoy-config", MountedAt(envoy, "/etc/envoy"));
        Assert.Equal(["-c", "/etc/envoy/envoy.yaml"], Sequence(envoy, "args").Select(n => ((YamlScalarNode)n).Value).Take(2));
    }

    [Fact]
    public void EnvoyConfig_AgentListener_OnLoopbackWhereTheAgentSendsItsCalls()
    {
        var listener = Sequence(Load(EnvoyPath), "static_resources", "listeners").Single();
        var address = $"http://{Text(listener, "address", "socket_address", "address")}:{Text(listener, "address", "socket_address", "port_value")}";

        Assert.Equal("http://127.0.0.1:15001", address);
        Assert.Equal(address, Env(Container("agent"))["TOOLS_URL"]);
        Assert.Equal("15001", Text(Sequence(Container("envoy"), "ports")[0], "containerPort"));
    }

    private static (YamlSequenceNode Filters, YamlMappingNode ExtAuthz) ExtAuthz()
    {
        var listener = Sequence(Load(EnvoyPath), "static_resources", "listeners").Single();
        var manager = Sequence(Sequence(listener, "filter_chains")[0], "filters").Single(f => Text(f, "name") == "envoy.filters.network.http_connection_manager");
        var filters = Sequence(manager, "typed_config", "http_filters");
        var extAuthz = filters.Single(f => Text(f, "name") == "envoy.filters.http.ext_authz");
        return (filters, (YamlMappingNode)extAuthz["typed_config"]);
    }

    private static YamlMappingNode Document(string kind, string name) => K8sManifests.Document(K8sDir, kind, name);

    private static List<(string File, YamlMappingNode Document)> K8sDocuments() => K8sManifests.K8sDocuments(K8sDir);

    private static YamlMappingNode PodSpec() => (YamlMappingNode)Document("Deployment", "triage-agent")["spec"]["template"]["spec"];

    private static YamlMappingNode Container(string name) => (YamlMappingNode)Sequence(PodSpec(), "containers").Single(c => Text(c, "name") == name);

    private static YamlMappingNode InitContainer(string name) => (YamlMappingNode)Sequence(PodSpec(), "initContainers").Single(c => Text(c, "name") == name);

    private static YamlMappingNode Volume(string name) => (YamlMappingNode)Sequence(PodSpec(), "volumes").Single(v => Text(v, "name") == name);

    private static Dictionary<string, string> Env(YamlMappingNode container) =>
        Sequence(container, "env").ToDictionary(e => Text(e, "name")!, e => Text(e, "value")!, StringComparer.Ordinal);

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(file);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string[] DockerfilePorts(IEnumerable<string> lines) =>
        lines.Select(l => l.Trim()).Where(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)).SelectMany(l => l["EXPOSE ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    /// <summary>Runs the built server (<c>dotnet Pdp.Server.dll …</c>) to its exit.</summary>
    private static async Task<(int ExitCode, string Output)> RunServerAsync(params string[] args)
    {
        var result = await ProcessRun.ServerAsync(Timeout, args);
        return (result.ExitCode, result.Output);
    }

    /// <summary>A loopback HTTP server that answers every connection with the same bytes, then closes it.</summary>
    private sealed class CannedHttpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public CannedHttpServer(string response)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            var bytes = Encoding.ASCII.GetBytes(response);
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                        var stream = client.GetStream();
                        var buffer = new byte[4096];
                        _ = await stream.ReadAsync(buffer, _stop.Token).AsTask().WaitAsync(Timeout, _stop.Token);
                        await stream.WriteAsync(bytes, _stop.Token).AsTask().WaitAsync(Timeout, _stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or TimeoutException or ObjectDisposedException)
                    {
                        // Stopping, or a client that went away: the next one gets the same answer.
                    }
                }
            });
        }

        public int Port { get; }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
