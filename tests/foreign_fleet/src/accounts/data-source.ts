// What TypeORM's CLI loads: node node_modules/typeorm/cli.js migration:run -d dist/accounts/data-source.js
import 'reflect-metadata';
import { migrationSource } from '../common/db';

export default migrationSource(__dirname);
