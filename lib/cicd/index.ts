export * from './pull-request-checks';
export * from './github-webhook-build';
export * from './codeguru-integration';
export * from './lambda-canary-release';
export * from './ecs-blue-green-service';
export * from './beanstalk-environment';
