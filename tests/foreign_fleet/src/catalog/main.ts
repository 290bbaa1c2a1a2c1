import { bootstrap } from '../common/bootstrap';
import { CatalogModule } from './app.module';

void bootstrap(CatalogModule);
