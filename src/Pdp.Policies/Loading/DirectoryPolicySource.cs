namespace Pdp.Policies.Loading;

/// <summary>
/// A policy directory laid out as shipped: <c>*.js</c> policy modules at the top, their
/// <c>*.test.json</c> test cases beside them, <c>data/*.json</c> documents and <c>lib/*.js</c> helper
/// modules. Other sub-folders (and sub-folders of those two) are ignored. File sizes and counts are bounded so a stray file cannot exhaust memory.
/// </summary>
public sealed class DirectoryPolicySource : IPolicySource
{
    /// <summary>Largest policy or test file read.</summary>
    public const int MaxPolicyFileBytes = 1024 * 1024;

    /// <summary>Largest data document read.</summary>
    public const int MaxDataFileBytes = 16 * 1024 * 1024;

    /// <summary>Most files of one kind read.</summary>
    public const int MaxFiles = 1000;

    private readonly string _root;

    public DirectoryPolicySource(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _root = Path.GetFullPath(directory);
    }

    public string Origin => _root;

    public PolicySourceSnapshot Read()
    {
        var problems = new List<PolicyProblem>();
        if (!Directory.Exists(_root))
        {
            problems.Add(new PolicyProblem(_root, 0, 0, "policy directory does not exist"));
            return new PolicySourceSnapshot(_root, [], [], [], problems);
        }

        var policies = ReadFiles(_root, "*.js", MaxPolicyFileBytes, problems);
        var tests = ReadFiles(_root, "*.test.json", MaxPolicyFileBytes, problems);
        var dataDir = Path.Combine(_root, "data");
        var data = Directory.Exists(dataDir) ? ReadFiles(dataDir, "*.json", MaxDataFileBytes, problems) : [];
        var libDir = Path.Combine(_root, "lib");
        var libraries = Directory.Exists(libDir) ? ReadFiles(libDir, "*.js", MaxPolicyFileBytes, problems) : [];
        return new PolicySourceSnapshot(_root, policies, data, tests, problems) { Libraries = libraries };
    }

    private List<SourceFile> ReadFiles(string directory, string pattern, int maxBytes, List<PolicyProblem> problems)
    {
        var files = new List<SourceFile>();
        var paths = Directory.GetFiles(directory, pattern, SearchOption.TopDirectoryOnly);
        Array.Sort(paths, StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var relative = Path.GetRelativePath(_root, path).Replace('\\', '/');
            if (files.Count >= MaxFiles)
            {
                problems.Add(new PolicyProblem(relative, 0, 0, $"more than {MaxFiles} files match '{pattern}'; the rest were not read"));
                break;
            }

            try
            {
                var length = new FileInfo(path).Length;
                if (length > maxBytes)
                {
                    problems.Add(new PolicyProblem(relative, 0, 0, $"file is {length} bytes; the limit is {maxBytes}"));
                    continue;
                }

                files.Add(new SourceFile(relative, File.ReadAllText(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new PolicyProblem(relative, 0, 0, $"cannot be read: {e.Message}"));
            }
        }

        return files;
    }
}
