using YamlDotNet.RepresentationModel;

namespace Pdp.Server.Tests;

/// <summary>The Kubernetes manifests in deploy/k8s, parsed, and the small path helpers the deployment tests read them with.</summary>
internal static class K8sManifests
{
    public static List<(string File, YamlMappingNode Document)> K8sDocuments(string directory)
    {
        var documents = new List<(string, YamlMappingNode)>();
        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                stream.Load(reader);
            }

            documents.AddRange(stream.Documents.Select(d => (Path.GetFileName(file), (YamlMappingNode)d.RootNode)));
        }

        return documents;
    }

    public static YamlMappingNode Document(string directory, string kind, string name) =>
        K8sDocuments(directory).Single(d => Text(d.Document, "kind") == kind && Text(d.Document, "metadata", "name") == name).Document;

    /// <summary>The volume mounted at exactly <paramref name="path"/> in <paramref name="container"/>, or null.</summary>
    public static string? MountedAt(YamlMappingNode container, string path) =>
        Sequence(container, "volumeMounts").Where(m => Text(m, "mountPath") == path).Select(m => Text(m, "name")).SingleOrDefault();

    public static Dictionary<string, string> Mapping(YamlNode node, params string[] path) =>
        ((YamlMappingNode)(At(node, path) ?? throw new KeyNotFoundException(string.Join('.', path)))).Children
            .ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!, StringComparer.Ordinal);

    public static YamlSequenceNode Sequence(YamlNode node, params string[] path) => (YamlSequenceNode)(At(node, path) ?? throw new KeyNotFoundException(string.Join('.', path)));

    public static string? Text(YamlNode node, params string[] path) => (At(node, path) as YamlScalarNode)?.Value;

    public static YamlNode? At(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }
}
