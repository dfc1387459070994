// Every app a test builds skips the stack traces aws-cdk-lib records while constructs are created:
// the creation stack of each CloudFormation element (context
// `aws:cdk:disable-creation-stack-traces`) and the trace of each annotation
// (`CDK_DISABLE_STACK_TRACE`). They only point a reader at source lines; no template, finding or
// check depends on them. Under jest each trace goes through jest's source-map support, and a CPU
// profile of the whole run found about 10% of it there.
// App reads CDK_CONTEXT_JSON when it is constructed, so this reaches apps a test builds with
// `new App()` as well as the harness's apps.
const existing = process.env.CDK_CONTEXT_JSON ? JSON.parse(process.env.CDK_CONTEXT_JSON) : {};
process.env.CDK_CONTEXT_JSON = JSON.stringify({ ...existing, 'aws:cdk:disable-creation-stack-traces': true });
process.env.CDK_DISABLE_STACK_TRACE = '1';
