import { bootstrap } from '../common/bootstrap';
import { TrailModule } from './app.module';

void bootstrap(TrailModule);
