using Acornima.Ast;

namespace Pdp.Policies.Analysis;

/// <summary>Block-level scopes, loops, and the statements/expressions the sandbox refuses.</summary>
internal sealed partial class ShapeWalker
{
    protected override object? VisitBlockStatement(BlockStatement node)
    {
        var saved = EnterScope();
        ScopeCollector.AddLexicalNames(node.Body, _scope.Names);
        foreach (var statement in node.Body)
        {
            Visit(statement);
        }

        _scope = saved;
        return node;
    }

    protected override object? VisitForStatement(ForStatement node)
    {
        var saved = EnterScope();
        if (node.Init is VariableDeclaration { Kind: not VariableDeclarationKind.Var } declaration)
        {
            ScopeCollector.AddDeclaredNames(declaration, _scope.Names);
        }

        VisitOptional(node.Init);
        VisitOptional(node.Test);
        VisitOptional(node.Update);
        Visit(node.Body);
        _scope = saved;
        return node;
    }

    protected override object? VisitForInStatement(ForInStatement node)
    {
        WalkForInOf(node.Left, node.Right, node.Body);
        return node;
    }

    protected override object? VisitForOfStatement(ForOfStatement node)
    {
        if (node.Await)
        {
            Report(node, ShapeMessages.Await);
        }

        WalkForInOf(node.Left, node.Right, node.Body);
        return node;
    }

    private void WalkForInOf(Node left, Expression right, Statement body)
    {
        var saved = EnterScope();
        if (left is VariableDeclaration declaration)
        {
            if (declaration.Kind != VariableDeclarationKind.Var)
            {
                ScopeCollector.AddDeclaredNames(declaration, _scope.Names);
            }

            Visit(declaration);
        }
        else
        {
            // for (x of …) / for (x in …) without a declaration assigns x on every iteration.
            WalkPattern(left, assigning: true);
        }

        Visit(right);
        Visit(body);
        _scope = saved;
    }

    protected override object? VisitSwitchStatement(SwitchStatement node)
    {
        Visit(node.Discriminant);
        var saved = EnterScope();
        foreach (var switchCase in node.Cases)
        {
            ScopeCollector.AddLexicalNames(switchCase.Consequent, _scope.Names);
        }

        foreach (var switchCase in node.Cases)
        {
            VisitOptional(switchCase.Test);
            foreach (var statement in switchCase.Consequent)
            {
                Visit(statement);
            }
        }

        _scope = saved;
        return node;
    }

    protected override object? VisitCatchClause(CatchClause node)
    {
        var saved = EnterScope();
        ScopeCollector.AddBoundNames(node.Param, _scope.Names);
        WalkPattern(node.Param, assigning: false);
        Visit(node.Body);
        _scope = saved;
        return node;
    }

    protected override object? VisitLabeledStatement(LabeledStatement node)
    {
        Visit(node.Body);
        return node;
    }

    protected override object? VisitBreakStatement(BreakStatement node) => node;

    protected override object? VisitContinueStatement(ContinueStatement node) => node;

    protected override object? VisitWithStatement(WithStatement node)
    {
        Report(node, ShapeMessages.With);
        Visit(node.Object);
        Visit(node.Body);
        return node;
    }

    protected override object? VisitDebuggerStatement(DebuggerStatement node)
    {
        Report(node, ShapeMessages.Debugger);
        return node;
    }

    protected override object? VisitAwaitExpression(AwaitExpression node)
    {
        Report(node, ShapeMessages.Await);
        Visit(node.Argument);
        return node;
    }

    protected override object? VisitImportExpression(ImportExpression node)
    {
        Report(node, ShapeMessages.DynamicImport);
        return node;
    }

    protected override object? VisitMetaProperty(MetaProperty node)
    {
        if (node.Meta.Name == "import")
        {
            Report(node, ShapeMessages.ImportMeta);
        }

        return node;
    }

    protected override object? VisitCallExpression(CallExpression node)
    {
        WalkCall(node, node.Callee, node.Arguments);
        return node;
    }

    protected override object? VisitNewExpression(NewExpression node)
    {
        WalkCall(node, node.Callee, node.Arguments);
        return node;
    }

    /// <summary>Refuses <c>eval(…)</c>, <c>Function(…)</c>, <c>new Function(…)</c> and <c>x.eval(…)</c>/<c>x.Function(…)</c>.</summary>
    private void WalkCall(Node call, Expression callee, in NodeList<Expression> arguments)
    {
        var calleeName = callee switch
        {
            Identifier identifier => identifier.Name,
            MemberExpression { Computed: false, Property: Identifier property } => property.Name,
            _ => null,
        };

        var refused = calleeName switch
        {
            "eval" => ShapeMessages.EvalCall,
            "Function" => ShapeMessages.FunctionConstructor,
            _ => null,
        };

        if (refused is not null)
        {
            Report(call, refused);
        }

        if (refused is null || callee is not Identifier)
        {
            // An identifier callee was just reported; don't report it again as a reference.
            Visit(callee);
        }

        foreach (var argument in arguments)
        {
            Visit(argument);
        }
    }
}
