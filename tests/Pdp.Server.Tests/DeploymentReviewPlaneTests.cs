using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Pdp.Server.Configuration;
using Xunit;
using YamlDotNet.RepresentationModel;
using static Pdp.Server.Tests.K8sManifests;

namespace Pdp.Server.Tests;

/// <summary>
/// The review plane's manifests: the agent Deployment scaled out on the shared PostgreSQL review store, the pdp-review
/// Deployment with its Service, NetworkPolicy and PodDisruptionBudget, the example Secret, and every <c>Pdp__*</c>
/// setting in deploy/ checked against the option classes it binds to.
/// </summary>
public sealed partial class DeploymentReviewPlaneTests
{
    private const string SecretName = "pdp-review-postgres";
    private const string SecretKey = "connectionString";
    private const string ConnectionStringVariable = "Pdp__Review__Postgres__ConnectionString";
    private const string ExampleSecretFile = "pdp-review-secret.example.yaml";

    private static string Root { get; } = PdpTestServer.RepositoryRoot();

    private static string DeployDir => Path.Combine(Root, "deploy");

    private static string K8sDir => Path.Combine(DeployDir, "k8s");

    /// <summary>Each Deployment running Pdp, and the name of its Pdp container.</summary>
    public static TheoryData<string> PdpDeployments() => new() { "triage-agent", "pdp-review" };

    [Fact]
    public void AgentDeployment_Replicas_MoreThanOneOnThePostgresStoreWithATrailPerPod()
    {
        var deployment = Document("Deployment", "triage-agent");
        var env = Env(PdpContainer("triage-agent"));

        Assert.True(int.Parse(Text(deployment, "spec", "replicas")!, CultureInfo.InvariantCulture) > 1);
        Assert.Equal("postgres", env["Pdp__Review__Store"].Value);

        // A trail has one writer: with several replicas the trail volume must be the pod's own.
        var trail = Volume("triage-agent", MountedAt(PdpContainer("triage-agent"), Path.GetDirectoryName(env["Pdp__Audit__Path"].Value)!)!);
        Assert.Null(At(trail, "persistentVolumeClaim"));
        Assert.True(At(trail, "ephemeral") is not null || At(trail, "emptyDir") is not null, "the trail volume is not per pod");
        Assert.DoesNotContain(K8sDocuments(), d => Text(d.Document, "kind") == "PersistentVolumeClaim");
    }

    [Theory]
    [MemberData(nameof(PdpDeployments))]
    public void PdpContainer_ConnectionString_OnlyFromTheSecretKeyRef(string deployment)
    {
        var entry = Env(PdpContainer(deployment))[ConnectionStringVariable].Entry;

        Assert.Null(At(entry, "value"));
        Assert.Equal(SecretName, Text(entry, "valueFrom", "secretKeyRef", "name"));
        Assert.Equal(SecretKey, Text(entry, "valueFrom", "secretKeyRef", "key"));
        Assert.Null(At(entry, "valueFrom", "secretKeyRef", "optional"));
        Assert.Equal("postgres", Env(PdpContainer(deployment))["Pdp__Review__Store"].Value);
    }

    [Fact]
    public void ExampleSecret_ConnectionString_AMarkedPlaceholderKeptOutOfTheDirectoryApply()
    {
        var (file, secret) = K8sDocuments().Single(d => Text(d.Document, "kind") == "Secret");
        var text = File.ReadAllText(Path.Combine(K8sDir, file));

        Assert.Equal(ExampleSecretFile, file);
        Assert.Equal(SecretName, Text(secret, "metadata", "name"));
        Assert.Null(At(secret, "data"));
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(Text(secret, "stringData", SecretKey));
        Assert.Contains("EXAMPLE", connection.Password, StringComparison.Ordinal);
        Assert.Contains("EXAMPLE ONLY", text, StringComparison.Ordinal);
        Assert.Contains("secret manager", text, StringComparison.Ordinal);

        // `kubectl apply -f deploy/k8s/ -l '!pdp.example.org/example'` (pdp-sidecar.yaml) leaves it out.
        Assert.Equal("true", Text(secret, "metadata", "labels", "pdp.example.org/example"));
        Assert.Contains("-l '!pdp.example.org/example'", File.ReadAllText(Path.Combine(K8sDir, "pdp-sidecar.yaml")), StringComparison.Ordinal);
        Assert.All(K8sDocuments().Where(d => d.File != ExampleSecretFile), d => Assert.Null(At(d.Document, "metadata", "labels", "pdp.example.org/example")));
    }

    [Fact]
    public void DeployDirectory_ConnectionStrings_NoneOutsideTheExampleSecret()
    {
        var files = Directory.GetFiles(DeployDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != ExampleSecretFile)
            .Append(Path.Combine(Root, "Dockerfile"));
        var found = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(Root, f), Line: i + 1, Text: line)))
            .Where(l => ConnectionStringRegex().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(found.Count == 0, "a literal connection string outside the example Secret:\n" + string.Join('\n', found));

        // And no env entry anywhere sets a connection string by value.
        var literal = K8sDocuments()
            .SelectMany(d => d.Document.AllNodes.OfType<YamlMappingNode>())
            .Where(m => Text(m, "name")?.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase) == true && At(m, "value") is not null)
            .ToList();
        Assert.Empty(literal);
    }

    [Fact]
    public void ReviewDeployment_Replicas_TwoOnDifferentNodesWithADisruptionBudget()
    {
        var deployment = Document("Deployment", "pdp-review");
        var labels = PodLabels("pdp-review");
        var pod = PodSpec("pdp-review");

        Assert.Equal("2", Text(deployment, "spec", "replicas"));
        Assert.True(Selects(Mapping(deployment, "spec", "selector", "matchLabels"), labels));

        // Required anti-affinity on the node, or a hard spread over nodes.
        var antiAffinity = At(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution") as YamlSequenceNode;
        var spread = At(pod, "topologySpreadConstraints") as YamlSequenceNode;
        var apart = (antiAffinity?.Any(t => Text(t, "topologyKey") == "kubernetes.io/hostname" && Selects(Mapping(t, "labelSelector", "matchLabels"), labels)) ?? false)
            || (spread?.Any(t => Text(t, "topologyKey") == "kubernetes.io/hostname" && Text(t, "maxSkew") == "1" && Text(t, "whenUnsatisfiable") == "DoNotSchedule"
                && Selects(Mapping(t, "labelSelector", "matchLabels"), labels)) ?? false);
        Assert.True(apart, "nothing keeps the two replicas on different nodes");

        var budget = Document("PodDisruptionBudget", "pdp-review");
        Assert.Equal("1", Text(budget, "spec", "minAvailable"));
        Assert.True(Selects(Mapping(budget, "spec", "selector", "matchLabels"), labels));
    }

    [Fact]
    public void ReviewService_Ports_OnlyTheMtlsPortMatchingTheContainerAndTheSettings()
    {
        var service = Document("Service", "pdp-review");
        var pdp = PdpContainer("pdp-review");
        var env = Env(pdp);

        Assert.True(Selects(Mapping(service, "spec", "selector"), PodLabels("pdp-review")));
        Assert.NotEqual("NodePort", Text(service, "spec", "type"));
        Assert.NotEqual("LoadBalancer", Text(service, "spec", "type"));
        var port = Assert.Single(Sequence(service, "spec", "ports"));
        Assert.Equal(env["Pdp__Tls__Port"].Value, ContainerPort(pdp, Text(port, "targetPort") ?? Text(port, "port")!));
        Assert.Equal(env["Pdp__Tls__Port"].Value, ContainerPort(pdp, "grpc-mtls"));
        Assert.Equal("true", env["Pdp__Tls__Enabled"].Value);
    }

    [Fact]
    public void ReviewDeployment_Listeners_MtlsOnThePodNothingPlaintextServesDecisions()
    {
        var pdp = PdpContainer("pdp-review");
        var env = Env(pdp);

        Assert.Equal("0.0.0.0", env["Pdp__ListenAddress"].Value);
        Assert.Equal("false", env["Pdp__PlaintextGrpc"].Value);
        Assert.Equal("false", env["Pdp__AuthZen__Enabled"].Value);
        Assert.DoesNotContain("Pdp__UnixSocket", env.Keys);
        Assert.Equal(["admin", "grpc-mtls"], Sequence(pdp, "ports").Select(p => Text(p, "name")).Order(StringComparer.Ordinal));
        Assert.Equal(env["Pdp__AdminPort"].Value, ContainerPort(pdp, "admin"));

        // Recorders: the reviewer tools, as SPIFFE IDs (or a path prefix ending /*).
        var recorders = env.Where(e => e.Key.StartsWith("Pdp__Review__Recorders__", StringComparison.Ordinal)).Select(e => e.Value.Value!).ToList();
        Assert.NotEmpty(recorders);
        Assert.All(recorders, r => Assert.StartsWith("spiffe://example.org/", r, StringComparison.Ordinal));

        // The sidecar keeps every listener on loopback.
        Assert.DoesNotContain("Pdp__ListenAddress", Env(PdpContainer("triage-agent")).Keys);
    }

    [Fact]
    public void ReviewNetworkPolicy_Ingress_OnlyMtlsFromReviewerToolsAndAdminFromMonitoring()
    {
        var policy = Document("NetworkPolicy", "pdp-review");
        var env = Env(PdpContainer("pdp-review"));
        var (tls, admin) = (env["Pdp__Tls__Port"].Value!, env["Pdp__AdminPort"].Value!);

        Assert.True(Selects(Mapping(policy, "spec", "podSelector", "matchLabels"), PodLabels("pdp-review")));
        Assert.Contains("Ingress", Sequence(policy, "spec", "policyTypes").Select(n => ((YamlScalarNode)n).Value));

        var rules = Sequence(policy, "spec", "ingress").Cast<YamlMappingNode>().ToList();
        Assert.Equal(2, rules.Count);

        // A rule without ports admits every port, one without from every source.
        Assert.All(rules, r => Assert.NotEmpty(Sequence(r, "ports")));
        Assert.All(rules, r => Assert.NotEmpty(Sequence(r, "from")));
        Assert.All(rules.SelectMany(r => Sequence(r, "ports")), p => Assert.Equal("TCP", Text(p, "protocol") ?? "TCP"));
        var byPort = rules.ToDictionary(r => Text(Assert.Single(Sequence(r, "ports")), "port")!, r => Assert.Single(Sequence(r, "from")));
        Assert.Equal(new[] { admin, tls }.Order(StringComparer.Ordinal), byPort.Keys.Order(StringComparer.Ordinal));

        // mTLS: pods labelled as reviewer tools, in this namespace only (no namespaceSelector, no ipBlock).
        var reviewers = byPort[tls];
        Assert.Equal(["podSelector"], ((YamlMappingNode)reviewers).Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Equal("true", Text(reviewers, "podSelector", "matchLabels", "pdp.example.org/reviewer-tool"));

        // Admin (the /metrics scrape): the monitoring namespace.
        var monitoring = byPort[admin];
        Assert.Null(At(monitoring, "ipBlock"));
        Assert.Equal("monitoring", Text(monitoring, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
    }

    public static TheoryData<string, string, string> Probes() => new()
    {
        { "pdp-review", "livenessProbe", "/healthz" },
        { "pdp-review", "readinessProbe", "/readyz" },
        { "pdp-review", "startupProbe", "/readyz" },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public void ReviewDeployment_Probe_RunsTheHealthCheckAgainstItsPath(string deployment, string probe, string path)
    {
        var command = Sequence(PdpContainer(deployment), probe, "exec", "command").Select(n => ((YamlScalarNode)n).Value).ToArray();

        // DeploymentTests.HealthCheck_* run this command against a real server, on loopback and with a wildcard address.
        Assert.Equal(["dotnet", "/app/Pdp.Server.dll", "--healthcheck", path], command);
    }

    [Fact]
    public void ReviewDeployment_Containers_NonRootReadOnlyWithResourcesAndTheSidecarsSvidPattern()
    {
        var pod = PodSpec("pdp-review");
        var pdp = PdpContainer("pdp-review");
        var env = Env(pdp);
        var helper = (YamlMappingNode)Sequence(pod, "initContainers").Single(c => Text(c, "name") == "spiffe-helper");

        foreach (var container in new[] { pdp, helper })
        {
            Assert.Equal("true", Text(container, "securityContext", "runAsNonRoot"));
            Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
            Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
            Assert.False(string.IsNullOrEmpty(Text(container, "resources", "limits", "memory")));
        }

        Assert.Equal(Text(PdpContainer("triage-agent"), "image"), Text(pdp, "image"));
        Assert.Equal("Always", Text(helper, "restartPolicy"));
        Assert.Equal("pdp-review", Text(pod, "serviceAccountName"));
        Assert.Equal("csi.spiffe.io", Text(Volume("pdp-review", "spiffe-workload-api"), "csi", "driver"));
        Assert.Equal("spiffe-helper", Text(Volume("pdp-review", "spiffe-helper-config"), "configMap", "name"));
        Assert.Equal("svid", MountedAt(helper, "/run/pdp/svid"));
        foreach (var file in new[] { "Pdp__Tls__CertificatePath", "Pdp__Tls__KeyPath", "Pdp__Tls__TrustDomains__example.org" })
        {
            Assert.Equal(env[file].Value, Env(PdpContainer("triage-agent"))[file].Value);
            Assert.Equal("svid", MountedAt(pdp, Path.GetDirectoryName(env[file].Value)!));
        }

        // The same policies as the sidecars, and a trail of its own.
        Assert.Equal(Volume("triage-agent", "policies").ToString(), Volume("pdp-review", "policies").ToString());
        Assert.Equal("policies", MountedAt(pdp, env["Pdp__PolicyDir"].Value!));
        var trail = Volume("pdp-review", MountedAt(pdp, Path.GetDirectoryName(env["Pdp__Audit__Path"].Value)!)!);
        Assert.Null(At(trail, "persistentVolumeClaim"));
    }

    [Theory]
    [MemberData(nameof(PdpDeployments))]
    public void PdpContainer_Settings_PassTheServersValidation(string deployment)
    {
        // What the container's environment binds to, with the example Secret standing in for the real one.
        var secret = Text(Document("Secret", SecretName), "stringData", SecretKey);
        var settings = Env(PdpContainer(deployment))
            .Where(e => e.Key.StartsWith("Pdp__", StringComparison.Ordinal))
            .ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => e.Key == ConnectionStringVariable ? secret : e.Value.Value);
        var options = new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(PdpOptions.Section).Get<PdpOptions>()!;

        var result = new PdpOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("postgres", options.Review.Store);
        Assert.Equal(50052, options.Tls.Port);
    }

    [Fact]
    public void DeployDirectory_PdpVariables_EachBindsToAnOptionProperty()
    {
        var names = PdpVariableNames().ToList();

        Assert.Contains("Pdp__Review__Postgres__ConnectionString", names.Select(n => n.Name));
        Assert.Contains("Pdp__Tls__TrustDomains__example.org", names.Select(n => n.Name));
        var unbound = names.Where(n => !BindsToOption(n.Name)).Select(n => $"{n.Where}: {n.Name}").Distinct().ToList();
        Assert.True(unbound.Count == 0, "set in deploy/ but bound to no PdpOptions property:\n" + string.Join('\n', unbound));
    }

    [Theory]
    [InlineData("Pdp__Review__Postgres__ConnectionString", true)]
    [InlineData("Pdp__review__postgres__connectionstring", true)]
    [InlineData("Pdp__Review__Recorders__0", true)]
    [InlineData("Pdp__Review__Recorders__12", true)]
    [InlineData("Pdp__Tls__TrustDomains__example.org", true)]
    [InlineData("Pdp__Shutdown__DrainDelaySeconds", true)]
    [InlineData("Pdp__Sandbox__TimeoutMilliseconds", true)]
    [InlineData("Pdp__InstanceId", true)]
    [InlineData("Pdp__Review__Postgres__ConectionString", false)]
    [InlineData("Pdp__Review__Postgres", false)]
    [InlineData("Pdp__Review__Recorders", false)]
    [InlineData("Pdp__Review__Recorders__first", false)]
    [InlineData("Pdp__Tls__Port__0", false)]
    [InlineData("Pdp__Tls__TrustDomains", false)]
    [InlineData("Pdp__ReviewStore", false)]
    [InlineData("Pdp__Tls__ListenAddress", false)]
    [InlineData("Pdp", false)]
    public void BindsToOption_VariableName_OnlyRealLeafProperties(string name, bool expected)
    {
        Assert.Equal(expected, BindsToOption(name));
    }

    /// <summary>
    /// Whether <paramref name="name"/> (<c>Pdp__A__B</c>) names a settable leaf of <see cref="PdpOptions"/>, walked as the
    /// configuration binder walks it: properties case-insensitively, any key below a dictionary, a numeric index below a
    /// list, and ending on a value a string converts to.
    /// </summary>
    private static bool BindsToOption(string name)
    {
        var segments = name.Split("__");
        if (!string.Equals(segments[0], PdpOptions.Section, StringComparison.OrdinalIgnoreCase) || segments.Length < 2)
        {
            return false;
        }

        var type = typeof(PdpOptions);
        foreach (var segment in segments.Skip(1))
        {
            if (segment.Length == 0)
            {
                return false;
            }

            if (GenericArgument(type, typeof(IDictionary<,>), 1) is { } value)
            {
                type = value;
            }
            else if (type != typeof(string) && (type.IsArray ? type.GetElementType() : GenericArgument(type, typeof(IEnumerable<>), 0)) is { } element)
            {
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return false;
                }

                type = element;
            }
            else if (IsValue(type))
            {
                return false;
            }
            else
            {
                var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (property?.GetMethod is null || (IsValue(property.PropertyType) && property.SetMethod?.IsPublic != true))
                {
                    return false;
                }

                type = property.PropertyType;
            }
        }

        return IsValue(type);
    }

    private static bool IsValue(Type type) =>
        type == typeof(string) || TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(type) ?? type).CanConvertFrom(typeof(string));

    private static Type? GenericArgument(Type type, Type definition, int index) =>
        new[] { type }.Concat(type.GetInterfaces())
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments()[index];

    /// <summary>Every <c>Pdp__*</c> name in deploy/ (env entries of the manifests, and any mention in any file) and the Dockerfile.</summary>
    private static IEnumerable<(string Where, string Name)> PdpVariableNames()
    {
        foreach (var (file, document) in K8sDocuments())
        {
            foreach (var env in document.AllNodes.OfType<YamlMappingNode>().Where(m => m.Children.ContainsKey("env")).SelectMany(m => Sequence(m, "env")))
            {
                if (Text(env, "name") is { } name && name.StartsWith("Pdp__", StringComparison.OrdinalIgnoreCase))
                {
                    yield return ($"deploy/k8s/{file} env", name);
                }
            }
        }

        foreach (var file in Directory.GetFiles(DeployDir, "*", SearchOption.AllDirectories).Append(Path.Combine(Root, "Dockerfile")))
        {
            foreach (Match match in PdpVariableRegex().Matches(File.ReadAllText(file)))
            {
                yield return (Path.GetRelativePath(Root, file), match.Value.TrimEnd('.', '-'));
            }
        }
    }

    private static string? ContainerPort(YamlMappingNode container, string nameOrNumber) =>
        Sequence(container, "ports").Where(p => Text(p, "name") == nameOrNumber || Text(p, "containerPort") == nameOrNumber).Select(p => Text(p, "containerPort")).SingleOrDefault();

    /// <summary>Whether a label selector's match labels pick pods carrying <paramref name="labels"/>.</summary>
    private static bool Selects(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    private static YamlMappingNode Document(string kind, string name) => K8sManifests.Document(K8sDir, kind, name);

    private static List<(string File, YamlMappingNode Document)> K8sDocuments() => K8sManifests.K8sDocuments(K8sDir);

    private static YamlMappingNode PodSpec(string deployment) => (YamlMappingNode)Document("Deployment", deployment)["spec"]["template"]["spec"];

    private static Dictionary<string, string> PodLabels(string deployment) => Mapping(Document("Deployment", deployment), "spec", "template", "metadata", "labels");

    private static YamlMappingNode PdpContainer(string deployment) => (YamlMappingNode)Sequence(PodSpec(deployment), "containers").Single(c => Text(c, "name") == "pdp");

    private static YamlMappingNode Volume(string deployment, string name) => (YamlMappingNode)Sequence(PodSpec(deployment), "volumes").Single(v => Text(v, "name") == name);

    private static Dictionary<string, (string? Value, YamlMappingNode Entry)> Env(YamlMappingNode container) =>
        Sequence(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name")!, e => (Text(e, "value"), e), StringComparer.Ordinal);

    /// <summary>An Npgsql/libpq-style connection string: a host and a password keyword in one line, or a postgres URL.</summary>
    [GeneratedRegex(@"(?i)((host|server)\s*=[^;\s]+;.*password\s*=)|(postgres(ql)?://[^\s/]+@)")]
    private static partial Regex ConnectionStringRegex();

    [GeneratedRegex(@"\bPdp__[A-Za-z0-9_.\-]+")]
    private static partial Regex PdpVariableRegex();
}
