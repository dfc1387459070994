export * from './lambda-canary-release';
export * from './ecs-blue-green-service';
export * from './beanstalk-environment';
