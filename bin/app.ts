#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { CertflowStack } from '../lib/certflow-stack';

const app = new App();
new CertflowStack(app, 'Certflow', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
