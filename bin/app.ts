#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { SourceSideStack, TargetSideStack } from '../lib/certflow-stacks';

const app = new App();
// Two accounts (`-c certflow:sourceAccount=... -c certflow:targetAccount=...`) or, by default, the CLI's account for both.
const account = (key: string): string | undefined => (app.node.tryGetContext(key) as string | undefined) ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = (app.node.tryGetContext('certflow:region') as string | undefined) ?? process.env.CDK_DEFAULT_REGION;
new SourceSideStack(app, 'CertflowSource', { env: { account: account('certflow:sourceAccount'), region } });
new TargetSideStack(app, 'CertflowTarget', { env: { account: account('certflow:targetAccount'), region } });
